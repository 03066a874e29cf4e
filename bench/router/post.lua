-- wrk script: a small JSON scoring request, with Authorization when BENCH_AUTH is set.
-- With BENCH_INTERVAL_MS set, each connection waits that long before each request
-- (wrk's delay() hook), which paces the run to about connections * 1000 / interval rps.
wrk.method = "POST"
wrk.body = '{"data":[[1.0,2.0,3.0,4.0]]}'
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("BENCH_AUTH")
if auth ~= nil and auth ~= "" then
  wrk.headers["Authorization"] = auth
end
local interval = tonumber(os.getenv("BENCH_INTERVAL_MS") or "")
if interval ~= nil then
  function delay()
    return interval
  end
end
