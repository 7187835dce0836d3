-- wrk script: GET /{bucket}/{prefix}{i} with i drawn from a Zipf(s=1) distribution over KEYS keys, so a few keys
-- are very hot and the tail is long, as for a static site or a model store. Prints one machine-readable line.
local keys = tonumber(os.getenv("KEYS") or "1000")
local prefix = os.getenv("PREFIX") or "/bench/small/"
local cdf = {}

function init(args)
  local total = 0
  for i = 1, keys do total = total + 1 / i end
  local acc = 0
  for i = 1, keys do acc = acc + (1 / i) / total; cdf[i] = acc end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

local function pick()
  local r, lo, hi = math.random(), 1, keys
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < r then lo = mid + 1 else hi = mid end
  end
  return lo - 1
end

function request()
  return wrk.format("GET", prefix .. pick())
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.1f bytes_per_s=%.1f errors=%d p50_ms=%.3f p99_ms=%.3f\n",
    summary.requests / seconds, summary.bytes / seconds,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
