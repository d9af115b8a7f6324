-- wrk script for bench/load.sh's flood phase: each request carries the
-- next Cookie header from the file in COOKIES (one a line), cycling, so
-- every cookie is sent at least once in a run that makes as many requests.
local cookies = {}
for line in io.lines(os.getenv("COOKIES")) do cookies[#cookies + 1] = line end
local i = 0
request = function()
  i = i % #cookies + 1
  return wrk.format(nil, nil, { ["Cookie"] = cookies[i] })
end

-- Answers by status, printed when the run ends as "status CODE COUNT".
local threads = {}
function setup(thread) threads[#threads + 1] = thread end
codes = {}
function response(status, headers, body)
  codes[tostring(status)] = (codes[tostring(status)] or 0) + 1
end
function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("codes")) do io.write(string.format("status %s %d\n", k, v)) end
  end
end
