-- wrk-report.lua plus more of the latency distribution: one machine-readable
-- line per wrk run (bench/lib.sh's wrk_run parses it). Latencies in ms.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKLAT requests=%d bytes=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d " ..
    "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f mean_ms=%.3f max_ms=%.3f\n",
    summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.mean / 1000, latency.max / 1000))
end
