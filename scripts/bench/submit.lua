-- POST /api/v1/cases as the demo applicant, each request with a new Idempotency-Key, so each
-- one files (and submits) a new case: only 201 counts (a 200 would be a replayed key).
--
-- Environment: BENCH_AUTH (applicant "Bearer ..."), BENCH_BODY (the NewCaseRequest JSON with
-- "submit":true), BENCH_RUN (unique per wrk run: thread ids and counters start again at 1 in every run).
dofile(debug.getinfo(1, "S").source:match("^@(.*)/") .. "/common.lua")

local body = assert(os.getenv("BENCH_BODY"), "BENCH_BODY not set")
local run = assert(os.getenv("BENCH_RUN"), "BENCH_RUN not set")
local headers = {
   ["Authorization"] = assert(os.getenv("BENCH_AUTH"), "BENCH_AUTH not set"),
   ["Content-Type"] = "application/json",
}
local sent = 0

function ok_status(status) return status == 201 end

function request()
   sent = sent + 1
   -- thread_id is set by setup() before init runs, so keys are unique across threads too.
   headers["Idempotency-Key"] = string.format("bench-%s-t%d-%d", run, thread_id, sent)
   return wrk.format("POST", "/api/v1/cases", headers, body)
end

function response(status, headers, body)
   record(status, body)
end
