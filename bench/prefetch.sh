#!/usr/bin/env bash
# Manifest-triggered prefetch (issue 7): Gantry with `prefetch.mode: off`
# against `recent`, a fresh instance with empty storage for every
# measurement, the upstream behind Forwarder.java (+50 ms per request,
# 100 Mbit/s shared by all connections, or with --per-connection 100 Mbit/s
# for each: a hub reached over a long fat pipe, where one TCP flow and not
# the mirror's link is the limit):
#  - cold pull: `skopeo copy` of ImageGen's 20-layer, 64 MB image
#    (bench/pull:1, layer sizes shaped like Docker Hub's);
#  - small layers right after the manifest: one client (curl, one
#    keep-alive connection) GETs the manifest, then at once each of the 12
#    layers under 1 MiB, one after another, timing each.
# Aims (issue 7): small-layer latency at least 10x lower with prefetch
# (recent/off <= 0.1); cold pull in 0.6 of the `off` time or better.
#
#   bench/prefetch.sh            # 3 runs, medians (~8 min on 2 cores)
#   bench/prefetch.sh --quick    # 1 run: checks the script (~3 min)
#   bench/prefetch.sh --help
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
RUNS=3
RTT_MS=50
MBIT=100
MODES="off recent"
PAUSE_MS=0           # wait this long between the manifest and the small-layer GETs
PER_CONNECTION=false # the forwarder's cap: shared by all connections (false) or per connection
PORT_BASE=${BENCH_PORT_BASE:-17440}
export GANTRY_JAVA_OPTS=${GANTRY_JAVA_OPTS:-}
EXTRA_PREFETCH=${EXTRA_PREFETCH:-}   # more prefetch keys for the `recent` instance, e.g. "maxConcurrentPerUpstream: 24"
EXTRA_CONFIG=${EXTRA_CONFIG:-}       # more top-level YAML for every instance, e.g. "hardware: {scan: false}"

usage() {
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    cat <<EOF

Options (defaults in brackets):
  --runs N        repetitions; medians over them [$RUNS]
  --quick         1 run
  --rtt-ms N      round trip the forwarder adds [$RTT_MS]
  --mbit N        the forwarder's bandwidth cap [$MBIT]
  --modes LIST    prefetch modes compared, the first is the reference [${MODES// /,}]
  --pause-ms N    wait N ms after the manifest before the small-layer GETs
                  (a diagnostic: how much time prefetch needs) [$PAUSE_MS]
  --per-connection  the bandwidth cap applies to each upstream connection,
                  not to all of them together [shared]
Environment: BENCH_PORT_BASE [17440] (ports BASE..BASE+9), GANTRY_JAVA_OPTS,
  EXTRA_PREFETCH (YAML lines added under prefetch: for modes other than off),
  EXTRA_CONFIG (top-level YAML added for every instance, e.g. "hardware: {scan: false}"),
  OTHER_BENCH_PATTERN [bench/run.sh] (waited for before each run, at most 40 min).
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift ;;
        --quick) RUNS=1 ;;
        --rtt-ms) RTT_MS=$2; shift ;;
        --mbit) MBIT=$2; shift ;;
        --modes) MODES=${2//,/ }; shift ;;
        --pause-ms) PAUSE_MS=$2; shift ;;
        --per-connection) PER_CONNECTION=true ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
need_tools java curl docker-registry skopeo timeout
lib_init prefetch

UP_PORT=$PORT_BASE
FWD_PORT=$((PORT_BASE + 1))
CTL_PORT=$((PORT_BASE + 2))
GANTRY_PORT=$((PORT_BASE + 3))
OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
SMALL_MAX=$((1024 * 1024))

build_gantry
env_header "runs $RUNS; hub: +${RTT_MS} ms per request, ${MBIT} Mbit/s $([ "$PER_CONNECTION" = true ] && echo "per connection" || echo "shared") (Forwarder.java); modes: $MODES${EXTRA_PREFETCH:+; extra prefetch keys: $EXTRA_PREFETCH}; pause after the manifest ${PAUSE_MS} ms" \
    "$(skopeo --version); $(curl --version | head -1 | cut -d' ' -f1-2)"

# ---- data: ImageGen's images (made and pushed once; a small bench/blobs:1, unused here) -------------

DATA=$OUT/prefetch-data
start_upstream upstream "$UP_PORT" "$DATA/upstream"
if ! grep -q 'bench/warmup' "$DATA/gen/images.tsv" 2>/dev/null; then
    log "generating and pushing ImageGen's images into $DATA (once)"
    java "$HERE/ImageGen.java" --registry "http://127.0.0.1:$UP_PORT" --out "$DATA/gen" --big-mb 4 >> "$RUN_DIR/bench.log" 2>&1
fi
MANIFEST_DIGEST=$(awk -F'\t' '$1 == "manifest" && $2 == "bench/pull" {print $4}' "$DATA/gen/images.tsv")
# The layers under 1 MiB, in the manifest's order (smallest first in ImageGen's image).
mapfile -t SMALL < <(awk -F'\t' -v max=$SMALL_MAX '$1 == "layer" && $2 == "bench/pull" && $5 < max {print $4}' "$DATA/gen/images.tsv")
[ ${#SMALL[@]} -gt 0 ] || die "no small layers in $DATA/gen/images.tsv"
echo "image bench/pull:1 $MANIFEST_DIGEST: $(awk -F'\t' '$2 == "bench/pull" && $1 == "layer"' "$DATA/gen/images.tsv" | wc -l) layers, \
$(awk -F'\t' '$2 == "bench/pull" && $1 != "manifest" {s += $5} END {printf "%.1f", s / 1e6}' "$DATA/gen/images.tsv") MB; ${#SMALL[@]} layers under 1 MiB" \
    | tee -a "$RUN_DIR/env.txt"

start_forwarder forwarder "$FWD_PORT" "$UP_PORT" "$CTL_PORT" "$RTT_MS" "$MBIT"
fwd() { curl -sf --max-time 10 "http://127.0.0.1:$CTL_PORT/$1"; }
hub_like() { fwd "set?rtt-ms=$RTT_MS&mbit=$MBIT&per-connection=$PER_CONNECTION" >/dev/null; }
fast_link() { fwd "set?rtt-ms=0&mbit=0" >/dev/null; }
# Blob GETs the upstream saw since the last reset: "total distinct most-per-digest".
upstream_blob_gets() {
    fwd log | awk '$3 == "GET" && $4 ~ /\/blobs\/sha256:/ { n++; split($4, a, "/blobs/"); c[a[2]]++ }
        END { for (k in c) { d++; if (c[k] > m) m = c[k] } printf "%d %d %d\n", n, d, m }'
}

# fresh_gantry MODE TAG: empty storage, prefetch MODE; pulls the (unrelated) warm-up image over a
# fast link, so that no figure includes a cold JVM's first requests; then the link is hub-like.
fresh_gantry() {
    local mode=$1 dir=$RUN_DIR/$RUN-$1-$2
    mkdir -p "$dir"
    {
        printf 'listen: 127.0.0.1:%s\nupstreams:\n  - name: hub\n    url: http://127.0.0.1:%s\n    default: true\n' "$GANTRY_PORT" "$FWD_PORT"
        printf 'storage:\n  disk: {path: %s/data}\nprefetch:\n  mode: "%s"\n' "$dir" "$mode"
        if [ "$mode" != off ] && [ -n "$EXTRA_PREFETCH" ]; then printf '  %s\n' "$EXTRA_PREFETCH"; fi
        if [ -n "$EXTRA_CONFIG" ]; then printf '%s\n' "$EXTRA_CONFIG"; fi
    } > "$dir/gantry.yaml"
    start_gantry gantry "$GANTRY_PORT" "$dir/gantry.yaml"
    fast_link
    skopeo_pull "$GANTRY_PORT" bench/warmup:1 "$dir/warm" || die "warm-up pull failed: $(tail -3 "$dir/warm.log")"
    rm -rf "$dir/warm" "$dir/warm.log"
    hub_like
    sleep 1   # let the warm-up's prefetch and scans finish
    fwd reset >/dev/null
}

# Prefetch counters and the instance's end: issued, used, skipped.
stop_gantry() { # LABEL
    local r
    for r in issued used skipped_cached skipped_queue_full skipped_rate_limited; do
        record "$1.prefetch_$r" "$(gantry_metric "$GANTRY_PORT" gantry_prefetch_total "result=$r")"
    done
    stop gantry
    rm -rf "$RUN_DIR/$RUN"-*/data
}

cold_pull() { # MODE
    local t0 n d m dest=$RUN_DIR/$RUN-$1-pull-dest
    fresh_gantry "$1" pull
    t0=$(now)
    skopeo_pull "$GANTRY_PORT" bench/pull:1 "$dest" || die "pull through $1 failed: $(tail -3 "$dest.log")"
    record "$1.pull_s" "$(since "$t0")"
    rm -rf "$dest" "$dest.log"
    read -r n d m <<< "$(upstream_blob_gets)"
    record "$1.pull_upstream_blob_gets" "$n"; record "$1.pull_distinct_blobs" "$d"; record "$1.pull_max_gets_per_blob" "$m"
    fwd log > "$RUN_DIR/upstream-$RUN-$1-pull.log"
    stop_gantry "$1.pull"
}

# One curl, one keep-alive connection: the manifest, then each small layer at once, in order.
small_layers() { # MODE
    local base=http://127.0.0.1:$GANTRY_PORT/v2/bench/pull args=() d out=$RUN_DIR/small-$RUN-$1.txt
    fresh_gantry "$1" small
    local w='%{http_code} %{size_download} %{time_total} %{time_starttransfer} %{url_effective}\n'
    for d in "${SMALL[@]}"; do args+=(-o /dev/null "$base/blobs/$d"); done
    echo "start $(date +%s%3N)" > "$out.t0"
    if [ "$PAUSE_MS" -gt 0 ]; then
        curl -s -w "$w" -H "Accept: $OCI_MANIFEST" -o /dev/null "$base/manifests/1" > "$out" || true
        sleep "$(awk -v ms="$PAUSE_MS" 'BEGIN { print ms / 1000 }')"
        curl -s -w "$w" "${args[@]}" >> "$out" || true
    else
        curl -s -w "$w" -H "Accept: $OCI_MANIFEST" -o /dev/null "$base/manifests/1" "${args[@]}" > "$out" || true
    fi
    awk -v want=$((${#SMALL[@]} + 1)) '$1 == 200 { ok++ } END { if (ok != want) exit 1 }' "$out" \
        || die "small-layer GETs through $1 failed: $(cat "$out")"
    # Line 1 is the manifest; per layer in ms: median, mean, max, and the first one.
    read -r med mean max first <<< "$(awk 'NR > 1 { t[++k] = $3 * 1000; s += $3 * 1000; if ($3 * 1000 > mx) mx = $3 * 1000 }
        END { f = t[1]; for (i = 2; i <= k; i++) { v = t[i]; for (j = i - 1; j >= 1 && t[j] > v; j--) t[j + 1] = t[j]; t[j + 1] = v }
              printf "%.1f %.1f %.1f %.1f\n", (k % 2) ? t[(k + 1) / 2] : (t[k / 2] + t[k / 2 + 1]) / 2, s / k, mx, f }' "$out")"
    record "$1.small_median_ms" "$med"; record "$1.small_mean_ms" "$mean"; record "$1.small_max_ms" "$max"
    record "$1.small_first_ms" "$first"
    record "$1.manifest_ms" "$(awk 'NR == 1 { printf "%.1f", $3 * 1000 }' "$out")"
    record "$1.small_total_ms" "$(awk 'NR > 1 { s += $3 } END { printf "%.1f", s * 1000 }' "$out")"
    fwd log > "$RUN_DIR/upstream-$RUN-$1-small.log"
    stop_gantry "$1.small"
}

REF=${MODES%% *}
{
    for m in $MODES; do
        [ "$m" = "$REF" ] && continue
        printf '# small layers (< 1 MiB) right after the manifest, one client: ms per layer, %s (value) vs %s (ref)\n' "$m" "$REF"
        printf 'median latency of a small layer\t%s.small_median_ms\t%s.small_median_ms\tlower\t<=0.1\n' "$m" "$REF"
        printf 'mean latency of a small layer\t%s.small_mean_ms\t%s.small_mean_ms\tlower\t<=0.1\n' "$m" "$REF"
        printf 'first small layer (asked right after the manifest)\t%s.small_first_ms\t%s.small_first_ms\tlower\t-\n' "$m" "$REF"
        printf 'slowest small layer\t%s.small_max_ms\t%s.small_max_ms\tlower\t-\n' "$m" "$REF"
        printf 'all %s small layers, one after another\t%s.small_total_ms\t%s.small_total_ms\tlower\t-\n' "${#SMALL[@]}" "$m" "$REF"
        printf 'the manifest GET itself\t%s.manifest_ms\t%s.manifest_ms\tlower\t-\n' "$m" "$REF"
        printf '# cold pull of the 20-layer image with skopeo, seconds: %s (value) vs %s (ref)\n' "$m" "$REF"
        printf 'cold pull\t%s.pull_s\t%s.pull_s\tlower\t<=0.6\n' "$m" "$REF"
        printf 'upstream blob GETs in the pull\t%s.pull_upstream_blob_gets\t%s.pull_upstream_blob_gets\tlower\t-\n' "$m" "$REF"
        printf 'most upstream GETs of one blob\t%s.pull_max_gets_per_blob\t-\tlower\t<=1\n' "$m"
        printf '# prefetch counters of the %s instances (gantry_prefetch_total)\n' "$m"
        printf 'pull: issued\t%s.pull.prefetch_issued\t-\thigher\t-\n' "$m"
        printf 'pull: used\t%s.pull.prefetch_used\t-\thigher\t-\n' "$m"
        printf 'pull: skipped_cached\t%s.pull.prefetch_skipped_cached\t-\tlower\t-\n' "$m"
        printf 'small layers: issued\t%s.small.prefetch_issued\t-\thigher\t-\n' "$m"
        printf 'small layers: used\t%s.small.prefetch_used\t-\thigher\t-\n' "$m"
    done
    printf '# the reference (%s)\n' "$REF"
    printf '%s: cold pull s\t%s.pull_s\t-\tlower\t-\n' "$REF" "$REF"
    printf '%s: median small-layer ms\t%s.small_median_ms\t-\tlower\t-\n' "$REF" "$REF"
    printf '%s: prefetch issued (pull)\t%s.pull.prefetch_issued\t-\tlower\t-\n' "$REF" "$REF"
} > "$RUN_DIR/table.spec"

read -r -a ALL <<< "$MODES"
for RUN in $(seq "$RUNS"); do
    wait_other_bench
    # Rotate the order each run so no mode always goes first.
    ORDER=("${ALL[@]:$(( (RUN - 1) % ${#ALL[@]} ))}" "${ALL[@]:0:$(( (RUN - 1) % ${#ALL[@]} ))}")
    log "run $RUN/$RUNS, order: ${ORDER[*]}"
    for m in "${ORDER[@]}"; do small_layers "$m"; done
    for m in "${ORDER[@]}"; do cold_pull "$m"; done
    check_overlap
done

table "$RUN_DIR" | tee "$RUN_DIR/summary.txt"
log "results: $RUN_DIR"
