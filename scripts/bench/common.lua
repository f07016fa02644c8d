-- Shared by the wrk scripts of scripts/bench_http.py: counts responses by status in every
-- thread and prints one `BENCH_JSON {...}` line at the end for the harness to read, so it never
-- has to parse wrk's human-readable summary.
--
-- A script sets `ok_status(status)` (which statuses count as success; default 2xx) and may add
-- counters to `counts` (numbers only) and name them in `extra_counters`. A script that times
-- something of its own (a chain of requests, one step of it) calls `add_sample(name, us)` with
-- durations from `now_us()`; done() reports n, p50, p90, p99, max and mean of each name.

local threads = {}
local thread_count = 0

counts = { ok = 0, bad = 0 }
bad_statuses = {}   -- status -> count, copied to the main state by thread:get in done()
first_bad = ""      -- the first unexpected answer, to say why in the report
extra_counters = {}
-- Durations in µs by name: the list of NAME is the global `sample_NAME`, and sample_names lists
-- the names, because wrk's thread:get copies flat tables only (a nested one crashes it).
sample_names = {}

-- Microseconds on the monotonic clock, through LuaJIT's FFI (wrk is built with LuaJIT); nil
-- where there is no FFI, and then scripts that need it say so.
now_us = (function()
   local ok, ffi = pcall(require, "ffi")
   if not ok then return nil end
   pcall(ffi.cdef, "typedef struct { long tv_sec; long tv_nsec; } bench_timespec;" ..
                   "int clock_gettime(int clock_id, bench_timespec *tp);")
   local ts = ffi.new("bench_timespec")
   return function()
      ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
      return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
   end
end)()

function add_sample(name, us)
   local list = _G["sample_" .. name]
   if not list then
      list = {}
      _G["sample_" .. name] = list
      sample_names[name] = true
   end
   list[#list + 1] = us
end

function ok_status(status)
   return status >= 200 and status < 300
end

function setup(thread)
   thread_count = thread_count + 1
   thread:set("thread_id", thread_count)
   threads[thread_count] = thread
end

-- Counts an unexpected answer and keeps the first one (`why` says what was wrong with it).
function count_bad(status, body, why)
   counts.bad = counts.bad + 1
   bad_statuses[status] = (bad_statuses[status] or 0) + 1
   if first_bad == "" then
      first_bad = (why and (why .. ": ") or "") .. tostring(status) .. " " .. string.sub(body or "", 1, 300)
   end
end

-- Records one answer; returns true when it was a success.
function record(status, body)
   if ok_status(status) then
      counts.ok = counts.ok + 1
      return true
   end
   count_bad(status, body)
   return false
end

local function json_string(s)
   s = string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end)
   return '"' .. s .. '"'
end

-- Nearest rank, as scripts/bench_http.py computes its own percentiles.
local function percentile(sorted, p)
   local rank = math.max(1, math.ceil(p / 100 * #sorted))
   return sorted[rank]
end

local function sample_summaries(merged)
   local parts = {}
   for name, list in pairs(merged) do
      table.sort(list)
      local sum = 0
      for _, v in ipairs(list) do sum = sum + v end
      parts[#parts + 1] = string.format('"%s":{"n":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}',
         name, #list, percentile(list, 50), percentile(list, 90), percentile(list, 99), list[#list], sum / #list)
   end
   return table.concat(parts, ",")
end

function done(summary, latency, requests)
   local totals, statuses, sample, merged = {}, {}, "", {}
   for _, thread in ipairs(threads) do
      local c = thread:get("counts")
      for k, v in pairs(c) do totals[k] = (totals[k] or 0) + v end
      for status, n in pairs(thread:get("bad_statuses")) do
         statuses[tostring(status)] = (statuses[tostring(status)] or 0) + n
      end
      local fb = thread:get("first_bad")
      if sample == "" and fb ~= "" then sample = fb end
      for name in pairs(thread:get("sample_names")) do
         local all = merged[name] or {}
         for _, v in ipairs(thread:get("sample_" .. name)) do all[#all + 1] = v end
         merged[name] = all
      end
   end
   local parts = {}
   for k, v in pairs(totals) do parts[#parts + 1] = string.format('"%s":%d', k, v) end
   local bad = {}
   for k, v in pairs(statuses) do bad[#bad + 1] = string.format('"%s":%d', k, v) end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},' ..
      '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
      '"counts":{%s},"bad_statuses":{%s},"first_bad":%s,"samples":{%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
      e.connect, e.read, e.write, e.timeout,
      table.concat(parts, ","), table.concat(bad, ","), json_string(sample), sample_summaries(merged)))
end
