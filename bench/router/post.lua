-- wrk script: a JSON scoring request, with Authorization when BENCH_AUTH is set.
-- With BENCH_INTERVAL_MS set, each connection waits before each request (wrk's delay()
-- hook) a uniformly random 0..2*interval ms, mean = interval: the run is paced to about
-- connections * 1000 / interval rps, and the connections do not fire in lockstep (a fixed
-- delay makes all of them send at the same instant, i.e. bursts of `connections` requests).
-- With BENCH_BODY_BYTES set, the JSON body is padded to that many bytes (capture.sh: 1 KiB).
wrk.method = "POST"
wrk.body = '{"data":[[1.0,2.0,3.0,4.0]]}'
local bodyBytes = tonumber(os.getenv("BENCH_BODY_BYTES") or "")
if bodyBytes ~= nil and bodyBytes > #wrk.body then
  local head = '{"data":[[1.0,2.0,3.0,4.0]],"pad":"'
  wrk.body = head .. string.rep("x", bodyBytes - #head - 2) .. '"}'
end
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
