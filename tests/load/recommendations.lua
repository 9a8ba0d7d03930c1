-- wrk script: GET recommendations for random demo customers, printing p50/p95/p99.
-- wrk -t2 -c50 -d30s -s tests/load/recommendations.lua http://127.0.0.1:8080
math.randomseed(7)
local customers = tonumber(os.getenv("FRAMEWISE_CUSTOMERS") or "5000")
-- A token allowed to read any shopper's list: `framewise token --scope framewise/service`.
local token = os.getenv("FRAMEWISE_TOKEN")
if token then
  wrk.headers["Authorization"] = "Bearer " .. token
end

-- Extra query parameters, e.g. a context: FRAMEWISE_QUERY="occasion=beach&country=AU".
local extra = os.getenv("FRAMEWISE_QUERY") or ""
if extra ~= "" then
  extra = "&" .. extra
end

request = function()
  local id = math.random(1, customers)
  return wrk.format("GET", string.format("/v1/customers/cu-%05d/recommendations?limit=12%s", id, extra))
end

done = function(summary, latency, requests)
  io.write(string.format("requests %d, errors %d, throughput %.0f req/s\n",
    summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    summary.requests / (summary.duration / 1e6)))
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("p%d %.2f ms\n", p, latency:percentile(p) / 1000))
  end
end
