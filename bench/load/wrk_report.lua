-- wrk script for the benchmarks: the method and JSON body come from the environment
-- (WRK_METHOD, WRK_BODY); at the end, one line `BENCH_JSON {...}` with the counts and
-- latency percentiles in microseconds, which bench/load/wrk.py reads.
local method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")

wrk.method = method
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p95_us":%d,' ..
    '"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.mean, latency.max))
end
