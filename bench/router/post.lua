-- wrk script: a small JSON scoring request, with Authorization when BENCH_AUTH is set.
-- With BENCH_INTERVAL_MS set, each connection waits before each request (wrk's delay()
-- hook) a uniformly random 0..2*interval ms, mean = interval: the run is paced to about
-- connections * 1000 / interval rps, and the connections do not fire in lockstep (a fixed
-- delay makes all of them send at the same instant, i.e. bursts of `connections` requests).
wrk.method = "POST"
wrk.body = '{"data":[[1.0,2.0,3.0,4.0]]}'
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("BENCH_AUTH")
if auth ~= nil and auth ~= "" then
  wrk.headers["Authorization"] = auth
end
local interval = tonumber(os.getenv("BENCH_INTERVAL_MS") or "")
if interval ~= nil then
  math.randomseed(os.time())
  function delay()
    return math.random(0, 2 * interval)
  end
end
