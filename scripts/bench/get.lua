-- GET the URL given to wrk, optionally with a bearer token (BENCH_AUTH="Bearer ..."), and count
-- every answer that is not 2xx (a 3xx to a sign-in page would otherwise pass for a success).
dofile(debug.getinfo(1, "S").source:match("^@(.*)/") .. "/common.lua")

local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then
   wrk.headers["Authorization"] = auth
end

function response(status, headers, body)
   record(status, body)
end
