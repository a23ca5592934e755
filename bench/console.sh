#!/usr/bin/env bash
# The web console with a full cache (issue 17): a Gantry mirror holding
# --images synthetic images (default 10,000, in --repos repositories), all
# cached and scanned, then each request a console page makes, measured with
# wrk at one connection (what one browser tab sees): median and p99 latency.
#
#   overview     GET /v2/_gantry/status, /v2/_gantry/status?history=1h
#   repositories GET /v2/_gantry/cache/repositories?n=100, .../repositories/<name>
#   search       GET /v2/_gantry/search?hardware=gpu.nvidia&n=50 (and two more filters)
#   image        the manifest, _gantry/hardware, referrers of one image
#   the console  GET /ui/ and its main script
#
# Aim: every request under 100 ms at p99. Admin routes are called from
# loopback with auth.loopbackAdmin (no users), as an operator's console would
# on the machine itself.
#
#   bench/console.sh                 # 10,000 images (~10 min to fill on 2 cores), 3 runs
#   bench/console.sh --quick         # 500 images, 1 short run: checks the script
#   bench/console.sh --help
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
IMAGES=10000
REPOS=1000
RUNS=3
DURATION=5
WARMUP=2
PORT_BASE=${BENCH_PORT_BASE:-17440}
export GANTRY_JAVA_OPTS=${GANTRY_JAVA_OPTS:-}

usage() {
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
    cat <<EOF

Options (defaults in brackets):
  --images N      images in the cache [$IMAGES]
  --repos N       repositories they are spread over [$REPOS]
  --runs N        measured rounds over every request; medians over them [$RUNS]
  --duration S    measured wrk seconds per request and round [$DURATION]
  --quick         --images 500 --repos 50 --runs 1 --duration 2
Environment: BENCH_PORT_BASE [17440] (ports BASE..BASE+1), GANTRY_JAVA_OPTS.
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --images) IMAGES=$2; shift ;;
        --repos) REPOS=$2; shift ;;
        --runs) RUNS=$2; shift ;;
        --duration) DURATION=$2; shift ;;
        --quick) IMAGES=500; REPOS=50; RUNS=1; DURATION=2; WARMUP=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
need_tools java wrk curl docker-registry timeout
lib_init console

UP_PORT=$PORT_BASE
G_PORT=$((PORT_BASE + 1))
build_gantry
env_header "$IMAGES images in $REPOS repositories, all cached and scanned; wrk -t1 -c1, ${DURATION}s per request (+${WARMUP}s warm-up), $RUNS rounds"

start_upstream upstream "$UP_PORT" "$RUN_DIR/upstream"
mkdir -p "$RUN_DIR/gantry"
cat > "$RUN_DIR/gantry/gantry.yaml" <<EOF
listen: 127.0.0.1:$G_PORT
upstreams:
  - name: docker.io
    url: http://127.0.0.1:$UP_PORT
    default: true
storage:
  disk: {path: $RUN_DIR/gantry/data}
prefetch: {mode: "off"}
hardware: {waitBudget: 30s}
auth: {loopbackAdmin: true}
server: {accessLog: false}
EOF
start_gantry gantry "$G_PORT" "$RUN_DIR/gantry/gantry.yaml"
G=http://127.0.0.1:$G_PORT

fill_start=$(now)
java -Xmx512m "$HERE/ConsoleFill.java" --upstream "http://127.0.0.1:$UP_PORT" --gantry "$G" \
    --images "$IMAGES" --repos "$REPOS" --threads 8 2>&1 | tee -a "$RUN_DIR/bench.log" >&2
note "filled in $(since "$fill_start") s"

# What the server holds, checked rather than assumed.
held=$(curl -sf "$G/v2/_gantry/search?n=1" | sed -n 's/.*"total":\([0-9]*\).*/\1/p')
[ "${held:-0}" -ge "$IMAGES" ] || note "the hardware catalog lists ${held:-none} images, not $IMAGES"
note "the hardware catalog lists $held images"
gpu=$(curl -sf "$G/v2/_gantry/search?hardware=gpu.nvidia&n=1" | sed -n 's/.*"total":\([0-9]*\).*/\1/p')
note "of which $gpu require gpu.nvidia"

R7=docker.io/bench/r7
digest=$(curl -sf -D - -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$G/v2/bench/r7/manifests/3" \
    | tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" {print $2}')
[ -n "$digest" ] || die "no digest for bench/r7:3"

# label path: one request kind of a console page
REQUESTS=(
    "ui_index /ui/"
    "ui_main_js /ui/js/main.js"
    "status /v2/_gantry/status"
    "status_history /v2/_gantry/status?history=1h"
    "repositories /v2/_gantry/cache/repositories?n=100"
    "repositories_second_page $(curl -sf -D - -o /dev/null "$G/v2/_gantry/cache/repositories?n=100" | tr -d '\r' | sed -n 's/^[Ll]ink: <\([^>]*\)>.*/\1/p')"
    "repository /v2/_gantry/cache/repositories/$R7"
    "search_gpu /v2/_gantry/search?hardware=gpu.nvidia&n=50"
    "search_runs_on_no_device /v2/_gantry/search?runsOn=x86-64-v2&devices=none&n=50"
    "search_arch_second_page $(curl -sf -D - -o /dev/null "$G/v2/_gantry/search?arch=amd64&n=50" | tr -d '\r' | sed -n 's/^[Ll]ink: <\([^>]*\)>.*/\1/p')"
    "image_manifest /v2/bench/r7/manifests/3"
    "image_hardware /v2/bench/r7/_gantry/hardware/3"
    "image_referrers /v2/bench/r7/referrers/$digest"
)
: > "$RUN_DIR/table.spec"
printf '# p99 and median latency (ms) at one connection, %s images\n' "$IMAGES" >> "$RUN_DIR/table.spec"
KEPT=()
for entry in "${REQUESTS[@]}"; do
    read -r label path <<< "$entry"
    if [ -z "$path" ]; then
        note "$label: no such page with $IMAGES images; not measured"
        continue
    fi
    KEPT+=("$entry")
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$G$path")
    [ "$code" = 200 ] || die "$path answered $code"
    printf '%s p99\t%s_p99\t-\tlower\t<=100\n%s median\t%s_p50\t-\tlower\t<=100\n' "$label" "$label" "$label" "$label" >> "$RUN_DIR/table.spec"
done
REQUESTS=("${KEPT[@]}")
PID=${SERVER_PID[gantry]}
for RUN in $(seq "$RUNS"); do
    for entry in "${REQUESTS[@]}"; do
        read -r label path <<< "$entry"
        wrk_run "$RUN_DIR/$label-warmup-$RUN.txt" "$G$path" 1 "$WARMUP" >/dev/null
        read -r rps _mbs errors p50 _p90 p99 _p999 cpu <<< "$(wrk_run "$RUN_DIR/$label-$RUN.txt" "$G$path" 1 "$DURATION" "$PID" \
            -H 'Accept: application/vnd.oci.image.manifest.v1+json')"
        [ "$errors" = 0 ] || note "run $RUN $label: $errors errors"
        record "${label}_p50" "$p50"
        record "${label}_p99" "$p99"
        record "${label}_rps" "$rps"
        record "${label}_cpu_us" "$cpu"
    done
done
table "$RUN_DIR" | tee "$RUN_DIR/summary.txt"
