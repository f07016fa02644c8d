-- Whole decisions: the applicant files and submits a case (201, its id in Location), a window
-- clerk of the item's department accepts it, an approver of that department starts the review
-- and approves (200 each); then the next case. Counts completed chains and times each whole
-- chain (from sending the filing to the approval's answer) and each step on the monotonic clock.
--
-- Run it with one connection per wrk thread (`-t N -c N`, as scripts/bench_http.py does): a
-- thread's requests and answers then alternate, so every answer belongs to the step last sent
-- and a chain needs no guessing which answer is whose (a transition's answer does not say which
-- case it is without parsing the body). A step that fails is counted and the chain is dropped:
-- the connection files a new case.
--
-- Environment: BENCH_AUTH (applicant "Bearer ..."), BENCH_CLERK_AUTH (clerk), BENCH_APPROVER_AUTH
-- (approver), BENCH_BODY (the NewCaseRequest JSON with "submit":true), BENCH_RUN (unique per wrk run).
dofile(debug.getinfo(1, "S").source:match("^@(.*)/") .. "/common.lua")

assert(now_us, "decide.lua times whole chains with LuaJIT's FFI; this wrk has no LuaJIT")
local body = assert(os.getenv("BENCH_BODY"), "BENCH_BODY not set")
local run = assert(os.getenv("BENCH_RUN"), "BENCH_RUN not set")
local function headers(variable)
   return {
      ["Authorization"] = assert(os.getenv(variable), variable .. " not set"),
      ["Content-Type"] = "application/json",
   }
end
local submit_headers = headers("BENCH_AUTH")
local steps = {
   { name = "accept", headers = headers("BENCH_CLERK_AUTH"), body = '{"action":"accept"}' },
   { name = "review", headers = headers("BENCH_APPROVER_AUTH"), body = '{"action":"review"}' },
   { name = "approve", headers = headers("BENCH_APPROVER_AUTH"), body = '{"action":"approve"}' },
}
local step = 0                          -- 0: file a new case; otherwise steps[step] of case_id
local case_id, chain_began, step_began
local sent = 0

counts.chains = 0

function request()
   step_began = now_us()
   if step == 0 then
      chain_began = step_began
      sent = sent + 1
      submit_headers["Idempotency-Key"] = string.format("bench-%s-t%d-%d", run, thread_id, sent)
      return wrk.format("POST", "/api/v1/cases", submit_headers, body)
   end
   local s = steps[step]
   return wrk.format("POST", "/api/v1/cases/" .. case_id .. "/transitions", s.headers, s.body)
end

local function location(headers)
   for name, value in pairs(headers) do
      if string.lower(name) == "location" then return value end
   end
end

function response(status, headers, body)
   local now = now_us()
   if step == 0 then
      -- A filing must be 201 (a 200 would be a replayed key, no new case).
      local id = (location(headers) or ""):match("/api/v1/cases/([%x%-]+)$")
      if status ~= 201 or not id then
         return count_bad(status, body, status == 201 and "no case id in Location" or "filing")
      end
      counts.ok = counts.ok + 1
      add_sample("submit", now - step_began)
      case_id, step = id, 1
      return
   end
   local s = steps[step]
   if status ~= 200 then
      step = 0
      return count_bad(status, body, s.name)
   end
   counts.ok = counts.ok + 1
   add_sample(s.name, now - step_began)
   if step == #steps then
      counts.chains = counts.chains + 1
      add_sample("chain", now - chain_began)
      step = 0
   else
      step = step + 1
   end
end
