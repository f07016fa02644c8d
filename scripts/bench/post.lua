-- POST one fixed JSON body to the URL given to wrk, optionally with a bearer token, and count
-- every answer that is not 2xx, or (with BENCH_EXPECT) does not contain the expected text: a
-- verification of a document that fails its checks is still a 200, with another verdict.
--
-- Environment: BENCH_BODY (the body), or BENCH_BODY_FILE (a file holding it); BENCH_AUTH
-- ("Bearer ...", optional); BENCH_EXPECT (optional, e.g. '"result":"valid"').
dofile(debug.getinfo(1, "S").source:match("^@(.*)/") .. "/common.lua")

local function read_body()
   local body = os.getenv("BENCH_BODY")
   if body and body ~= "" then return body end
   local path = assert(os.getenv("BENCH_BODY_FILE"), "BENCH_BODY or BENCH_BODY_FILE not set")
   local file = assert(io.open(path, "rb"))
   body = file:read("*a")
   file:close()
   return body
end

wrk.method = "POST"
wrk.body = read_body()
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then
   wrk.headers["Authorization"] = auth
end
local expect = os.getenv("BENCH_EXPECT")
if expect == "" then expect = nil end

function response(status, headers, body)
   if expect and status >= 200 and status < 300 and not string.find(body or "", expect, 1, true) then
      return count_bad(status, body, "no " .. expect .. " in the answer")
   end
   record(status, body)
end
