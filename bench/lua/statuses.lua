-- wrk script for bench/load.sh's fault phase: counts answers by status and
-- keeps each distinct body of a 5xx answer, printed when the run ends as
-- "status CODE COUNT" and "body5xx COUNT BODY" lines.
local threads = {}
function setup(thread) threads[#threads + 1] = thread end
codes, bodies = {}, {}
function response(status, headers, body)
  codes[tostring(status)] = (codes[tostring(status)] or 0) + 1
  if status >= 500 then
    local key = string.format("%q retry-after=%s", body, tostring(headers["Retry-After"]))
    bodies[key] = (bodies[key] or 0) + 1
  end
end
function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("codes")) do io.write(string.format("status %s %d\n", k, v)) end
    for k, v in pairs(t:get("bodies")) do io.write(string.format("body5xx %d %s\n", v, k)) end
  end
end
