-- wrk script: single events to POST /api/v1/events, spread over 1,000
-- contacts. Against a running server (see README, Benchmark):
--   wrk -t2 -c32 -d10s -s docs/wrk-events.lua http://127.0.0.1:8080/api/v1/events
-- With keys set, add: wrk.headers["Authorization"] = "Bearer <write key>".
-- wrk counts any answer but 2xx under "Non-2xx or 3xx responses".
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local c = math.random(1, 1000)
  return wrk.format(nil, nil, nil, '{"type":"Booked call","contact_id":"w-' .. c .. '"}')
end
