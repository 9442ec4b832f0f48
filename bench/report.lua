-- wrk script for bench/harness.py: counts non-2xx responses and, when the run is done,
-- prints one line "BENCH_JSON {...}" that the harness parses. Latencies are in microseconds.
-- wrk's own summary only shows p50/75/90/99, and its "status" error counts only >= 400,
-- so a redirect or a 1xx would otherwise go unnoticed.

local threads = {}

-- Runs in the main Lua state once per thread: keep the handle to read its counter at the end.
function setup(thread)
  table.insert(threads, thread)
end

-- Runs in each thread's own Lua state; the global is read back with thread:get().
non_2xx = 0

function response(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
  end
end

function done(summary, latency, requests)
  local non2xx_total = 0
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + thread:get("non_2xx")
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"requests_per_s":%.2f,' ..
    '"latency_us":{"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f,"stdev":%.1f},' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"non_2xx":%d}\n',
    summary.requests, summary.duration, summary.bytes, summary.requests / seconds,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, latency.stdev,
    e.connect, e.read, e.write, e.status, e.timeout, non2xx_total))
end
