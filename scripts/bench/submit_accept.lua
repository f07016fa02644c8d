-- Pairs of requests: the applicant files and submits a case (201, its id in Location), then a
-- window clerk of the item's department accepts it (200). wrk calls request() and response()
-- per thread, not per connection, so the thread keeps a queue of submitted case ids: a free
-- connection accepts a waiting case if there is one, otherwise files a new case. With one
-- connection this alternates strictly; with more, at most one submit per connection is ahead.
--
-- Environment: BENCH_AUTH (applicant), BENCH_CLERK_AUTH (clerk), BENCH_BODY, BENCH_RUN.
dofile(debug.getinfo(1, "S").source:match("^@(.*)/") .. "/common.lua")

local body = assert(os.getenv("BENCH_BODY"), "BENCH_BODY not set")
local run = assert(os.getenv("BENCH_RUN"), "BENCH_RUN not set")
local submit_headers = {
   ["Authorization"] = assert(os.getenv("BENCH_AUTH"), "BENCH_AUTH not set"),
   ["Content-Type"] = "application/json",
}
local accept_headers = {
   ["Authorization"] = assert(os.getenv("BENCH_CLERK_AUTH"), "BENCH_CLERK_AUTH not set"),
   ["Content-Type"] = "application/json",
}
local accept_body = '{"action":"accept"}'
local waiting, head, tail = {}, 1, 0   -- FIFO of case ids submitted and not yet accepted
local sent = 0

counts.submitted = 0
counts.pairs = 0

function request()
   if head <= tail then
      local id = waiting[head]
      waiting[head] = nil
      head = head + 1
      return wrk.format("POST", "/api/v1/cases/" .. id .. "/transitions", accept_headers, accept_body)
   end
   sent = sent + 1
   submit_headers["Idempotency-Key"] = string.format("bench-%s-t%d-%d", run, thread_id, sent)
   return wrk.format("POST", "/api/v1/cases", submit_headers, body)
end

local function location(headers)
   for name, value in pairs(headers) do
      if string.lower(name) == "location" then return value end
   end
end

-- Only filing answers with a Location, so it tells the two kinds of answer apart: a filing must
-- be 201 (a 200 would be a replayed key, no new case), an acceptance 200.
function response(status, headers, body)
   local filed = location(headers)
   if filed then
      local id = filed:match("/api/v1/cases/([%x%-]+)$")
      if status ~= 201 or not id then
         return count_bad(status, body, status == 201 and "no case id in Location" or "filing")
      end
      counts.ok = counts.ok + 1
      counts.submitted = counts.submitted + 1
      tail = tail + 1
      waiting[tail] = id
   elseif status == 200 then
      counts.ok = counts.ok + 1
      counts.pairs = counts.pairs + 1
   else
      count_bad(status, body)
   end
end
