-- Shared by the wrk scripts of scripts/bench_http.py: counts responses by status in every
-- thread and prints one `BENCH_JSON {...}` line at the end for the harness to read, so it never
-- has to parse wrk's human-readable summary.
--
-- A script sets `ok_status(status)` (which statuses count as success; default 2xx) and may add
-- counters to `counts` (numbers only) and name them in `extra_counters`.

local threads = {}
local thread_count = 0

counts = { ok = 0, bad = 0 }
bad_statuses = {}   -- status -> count, copied to the main state by thread:get in done()
first_bad = ""      -- the first unexpected answer, to say why in the report
extra_counters = {}

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

function done(summary, latency, requests)
   local totals, statuses, sample = {}, {}, ""
   for _, thread in ipairs(threads) do
      local c = thread:get("counts")
      for k, v in pairs(c) do totals[k] = (totals[k] or 0) + v end
      for status, n in pairs(thread:get("bad_statuses")) do
         statuses[tostring(status)] = (statuses[tostring(status)] or 0) + n
      end
      local fb = thread:get("first_bad")
      if sample == "" and fb ~= "" then sample = fb end
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
      '"counts":{%s},"bad_statuses":{%s},"first_bad":%s}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
      e.connect, e.read, e.write, e.timeout,
      table.concat(parts, ","), table.concat(bad, ","), json_string(sample)))
end
