#!/usr/bin/env bash
# Prints the benchmark table of one or more run directories (bench/out/run-*/):
# the median of every metric over all their runs, its spread, Gantry's ratio
# against the reference the issue names, and whether Gantry meets the aim.
#   bench/summarize.sh bench/out/run-20260101T120000 [bench/out/run-... ...]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: summarize.sh RUN_DIR [RUN_DIR...]" >&2; exit 2; }
RESULTS=$(mktemp)
trap 'rm -f "$RESULTS"' EXIT
n=0
for DIR in "$@"; do
    [ -s "$DIR/results.tsv" ] || { echo "no results in $DIR/results.tsv" >&2; exit 1; }
    [ -f "$DIR/env.txt" ] && { echo "== $DIR"; cat "$DIR/env.txt"; echo; }
    n=$((n + 1))
    awk -F'\t' -v OFS='\t' -v d="$n" '{ $1 = d "." $1; print }' "$DIR/results.tsv" >> "$RESULTS"
done

awk -F'\t' '
function median(key,    n, i, j, t, v) {
    n = cnt[key]
    if (n == 0) return ""
    for (i = 1; i <= n; i++) v[i] = val[key, i]
    for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] + 0 > t + 0; j--) v[j + 1] = v[j]; v[j + 1] = t }
    lo[key] = v[1]; hi[key] = v[n]
    return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function fmt(x) {
    if (x == "") return "-"
    if (x == int(x)) return sprintf("%d", x)
    return (x >= 100) ? sprintf("%.0f", x) : sprintf("%.2f", x)
}
function cell(cache, metric,    key, m, s) {
    key = cache SUBSEP metric
    if (failed[key]) return "FAIL"
    m = median(key)
    if (m == "") return "-"
    s = fmt(m)
    # Spread of the runs, as +-% of the median, where it is worth showing.
    if (cnt[key] > 1 && m + 0 > 0 && hi[key] != lo[key]) s = s sprintf(" ±%d%%", 50 * (hi[key] - lo[key]) / m + 0.5)
    return s
}
function med(cache, metric) { key = cache SUBSEP metric; return failed[key] ? "" : median(key) }
# row LABEL METRIC KIND REF AIM: KIND higher|lower|max|exact ("exact": ratio against the distinct count)
function row(label, metric, kind, ref, aim,    line, c, g, r, ratio, ok) {
    line = sprintf("%-34s", label)
    for (c = 1; c <= ncaches; c++) line = line sprintf(" %14s", cell(caches[c], metric))
    g = med("gantry", metric); ratio = "-"; ok = ""
    if (kind == "higher" || kind == "lower") {
        r = med(ref, metric)
        if (g != "" && r != "" && r + 0 > 0) {
            ratio = sprintf("%.2f", g / r)
            if (aim != "") ok = (kind == "higher" ? (g / r >= aim) : (g / r <= aim)) ? "met" : "MISSED"
        }
    } else if (kind == "max") {
        if (g != "") ok = (g + 0 < aim + 0) ? "met" : "MISSED"
    } else if (kind == "exact") {
        r = med("gantry", ref)
        if (g != "" && r != "") { ratio = sprintf("%.2f", g / r); ok = (g == r) ? "met" : "MISSED" }
    } else if (kind == "zero") {
        if (g != "") ok = (g + 0 == 0) ? "met" : "MISSED"
    }
    desc = (kind == "higher") ? "≥ " aim " × " ref : (kind == "lower") ? "≤ " aim " × " ref : (kind == "max") ? "< " aim : (kind == "exact") ? "1 per blob" : (kind == "zero") ? "0" : ""
    if (ok == "") desc = ""
    printf "%s %8s  %s %s\n", line, ratio, ok, desc
}
{
    key = $2 SUBSEP $3
    if (!($2 in seen)) { seen[$2] = 1; order[++norder] = $2 }
    if ($4 == "fail") failed[key] = 1
    else val[key, ++cnt[key]] = $4
    if (!($1 in runseen)) { runseen[$1] = 1; runs++ }
}
END {
    # Columns in a fixed order, whichever caches ran.
    split("gantry gantry-serial gantry-nolog gantry-nomem distribution nginx-proxy nginx-static", all, " ")
    for (i = 1; i <= 7; i++) if (all[i] in seen) caches[++ncaches] = all[i]
    head = sprintf("%-34s", "median of " runs " run(s)")
    for (c = 1; c <= ncaches; c++) head = head sprintf(" %14s", caches[c])
    print head sprintf(" %8s  %s", "gantry/", "aim")
    print sprintf("%-34s", "") sprintf("%" (15 * ncaches) "s", "") sprintf(" %8s", "ref")
    print "-- pulls of a 20-layer, 64 MB image through the emulated hub (skopeo, seconds)"
    row("cold pull", "cold_pull_s", "lower", "nginx-proxy", 1.0)
    row("8 concurrent cold pulls", "cold8_pull_s", "lower", "nginx-proxy", 1.0)
    row("warm pull", "warm_pull_s", "lower", "nginx-proxy", "")
    print "-- upstream traffic (blob GETs counted at the forwarder)"
    row("cold pull: blob GETs", "cold_upstream_blob_gets", "exact", "cold_distinct_blobs", "")
    row("cold pull: distinct blobs", "cold_distinct_blobs", "", "", "")
    row("cold pull: most GETs of one blob", "cold_max_gets_per_blob", "", "", "")
    row("8 cold pulls: blob GETs", "cold8_upstream_blob_gets", "exact", "cold_distinct_blobs", "")
    row("8 cold pulls: most GETs of one blob", "cold8_max_gets_per_blob", "", "", "")
    row("warm pull: blob GETs", "warm_upstream_blob_gets", "zero", "", "")
    row("hot blobs in (2 GETs each): GETs", "hot_warmup_upstream_blob_gets", "", "", "")
    print "-- hot blobs, wrk -t2 (req/s, MB/s)"
    row("100 KB blob req/s (c64)", "blob100k_rps", "higher", "nginx-static", 0.8)
    row("1 MB blob req/s (c64)", "blob1m_rps", "higher", "nginx-static", 0.8)
    row("1 MB blob MB/s (c64)", "blob1m_mbps", "higher", "nginx-static", 0.8)
    row("big blob MB/s (c8)", "blobbig_mbps", "higher", "nginx-static", 0.8)
    row("big blob MB/s (c64)", "big64_mbps", "higher", "nginx-static", 0.8)
    row("100 KB: server CPU µs per request", "blob100k_cpu_us", "", "", "")
    row("1 MB: server CPU µs per request", "blob1m_cpu_us", "", "", "")
    row("big c8: server CPU ms per GB", "blobbig_cpu_ms_per_gb", "", "", "")
    row("big c64: server CPU ms per GB", "big64_cpu_ms_per_gb", "", "", "")
    row("errors, 100 KB", "blob100k_errors", "zero", "", "")
    row("errors, 1 MB", "blob1m_errors", "zero", "", "")
    row("errors, big blob c8", "blobbig_errors", "zero", "", "")
    row("errors, big blob c64", "big64_errors", "zero", "", "")
    row("100 KB req/s, first 10 s of load", "first10s_blob100k_rps", "higher", "nginx-static", "")
    print "-- tags: manifest by tag, c64, hub RTT on every revalidation"
    row("manifest req/s", "manifest_rps", "higher", "nginx-proxy", 0.5)
    row("manifest: server CPU µs per request", "manifest_cpu_us", "", "", "")
    row("manifest errors", "manifest_errors", "zero", "", "")
    row("upstream manifest requests in run", "manifest_upstream_requests", "", "", "")
    print "-- memory and connections"
    row("peak RSS, 64 big-blob downloads MB", "big64_peak_rss_mb", "max", "", 300)
    row("peak RSS, whole session MB", "peak_rss_mb", "max", "", 300)
    row("1000 conns: req/s (100 KB)", "conn1000_1_rps", "higher", "nginx-static", "")
    row("1000 conns: errors, round 1", "conn1000_1_errors", "zero", "", "")
    row("1000 conns: errors, round 2", "conn1000_2_errors", "zero", "", "")
    row("fds before", "fds_before", "", "", "")
    row("fds after round 1", "fds_after_1", "", "", "")
    row("fds after round 2", "fds_after_2", "", "", "")
    row("RSS before MB", "rss_before_mb", "", "", "")
    row("RSS after round 1 MB", "rss_after_1_mb", "", "", "")
    row("RSS after round 2 MB", "rss_after_2_mb", "", "", "")
}' "$RESULTS"
cat <<'EOF'

Ratios are Gantry's median over the reference's median (for times, lower is
better; for rates, higher). ±N% is half the spread of the runs around the
median. nginx RSS is the sum over master and workers. Upstream blob GETs are
counted at the forwarder; a cache that fetches each blob once has GETs equal
to distinct blobs.
EOF
