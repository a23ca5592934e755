#!/usr/bin/env bash
# Warm before ready: how long after /readyz turns 200 a freshly started Gantry
# serves a hot blob at 90 % of its steady-state throughput.
#
#   bench/warmup.sh                 # RUNS=5 restarts per setting, 15 s of load each
#   WARM_UPS="0s 3s" RUNS=5 bench/warmup.sh   # before/after: server.warmUp off, then 3s,
#                                             # alternating within each run (same load on the host)
#   LOAD_SECONDS=10 GANTRY_JAVA_OPTS=... bench/warmup.sh
#
# Each run starts the server with bin/gantry (its JVM flags and class-data
# archive included), lets WarmupProbe.java poll /readyz and then load one
# 1 MiB layer of a hosted image (already on disk: pushed by a first,
# unmeasured start) anonymously over THREADS keep-alive connections, counting bytes per
# 250 ms window. Prints each run's figures and their medians. Everything binds
# 127.0.0.1 and is stopped by pid; no server outlives `timeout`.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
PORT=${PORT:-17500}
RUNS=${RUNS:-5}
LOAD_SECONDS=${LOAD_SECONDS:-15}
THREADS=${THREADS:-4}
WARM_UPS=${WARM_UPS:-3s}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/gantry-warmup.XXXXXX")
SERVER_PID=
PROBE_PID=

cleanup() {
    for p in $PROBE_PID $SERVER_PID; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    if [ -n "${KEEP:-}" ]; then echo "kept $DIR" >&2; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# user "bench", password "bench" (bcrypt cost 4: a benchmark, not a secret)
printf '%s\n' 'bench:$2y$04$......................9KjdJ2CdiP3/KtaAMXuc2f1Si9Xleo.' > "$DIR/htpasswd"
config() { # WARM_UP: writes the configuration with server.warmUp = WARM_UP
cat > "$DIR/gantry.yaml" <<YAML
listen: 127.0.0.1:$PORT
hosted:
  - prefix: local/
auth:
  htpasswd: $DIR/htpasswd
storage:
  disk:
    path: $DIR/data
server:
  accessLog: false
  warmUp: $1
YAML
}
config 0s
AUTH="Basic $(printf bench:bench | base64)"

start_server() {
    timeout 300 "$ROOT/bin/gantry" serve --config "$DIR/gantry.yaml" > "$DIR/server-$1.log" 2>&1 &
    SERVER_PID=$!
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

await_ready() {
    for _ in $(seq 1 600); do
        curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "server not ready; log: $(tail -5 "$DIR/server-$1.log")" >&2
    exit 1
}

# One unmeasured start (it also builds the jar if needed) to store the hot blob.
head -c 1048576 /dev/urandom > "$DIR/blob"
DIGEST="sha256:$(sha256sum "$DIR/blob" | cut -d' ' -f1)"
start_server seed
await_ready seed
push_blob() { # FILE DIGEST
    curl -fsS -o /dev/null -H "Authorization: $AUTH" -H 'Content-Type: application/octet-stream' \
        --data-binary @"$1" "http://127.0.0.1:$PORT/v2/local/hot/blobs/uploads/?digest=$2"
}
push_blob "$DIR/blob" "$DIGEST"
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' > "$DIR/config"
CONFIG_DIGEST="sha256:$(sha256sum "$DIR/config" | cut -d' ' -f1)"
push_blob "$DIR/config" "$CONFIG_DIGEST"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":1048576}]}' \
    "$CONFIG_DIGEST" "$(stat -c %s "$DIR/config")" "$DIGEST" > "$DIR/manifest"
curl -fsS -o /dev/null -X PUT -H "Authorization: $AUTH" -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary @"$DIR/manifest" "http://127.0.0.1:$PORT/v2/local/hot/manifests/latest"
stop_server

declare -A t90s fracs startups
for run in $(seq 1 "$RUNS"); do
  for warm in $WARM_UPS; do
    config "$warm"
    java -Xmx256m "$HERE/WarmupProbe.java" --port "$PORT" --path "/v2/local/hot/blobs/$DIGEST" \
        --threads "$THREADS" --seconds "$LOAD_SECONDS" --size 1048576 > "$DIR/probe-$run.txt" 2>&1 &
    PROBE_PID=$!
    # The probe warms its own JVM first; the server starts once it polls.
    until grep -q '^polling' "$DIR/probe-$run.txt"; do
        kill -0 "$PROBE_PID" 2>/dev/null || { cat "$DIR/probe-$run.txt" >&2; exit 1; }
        sleep 0.05
    done
    started=$(date +%s%3N)
    start_server "$run"
    wait "$PROBE_PID" || { cat "$DIR/probe-$run.txt" >&2; exit 1; }
    PROBE_PID=
    stop_server
    ready=$(awk '/^ready_epoch_ms/ {print $2}' "$DIR/probe-$run.txt")
    t90=$(awk '/^t90_ms/ {print $2}' "$DIR/probe-$run.txt")
    frac=$(awk '/^first_second_fraction/ {print $2}' "$DIR/probe-$run.txt")
    steady=$(awk '/^steady_mbps/ {print $2}' "$DIR/probe-$run.txt")
    startup=$((ready - started))
    printf 'run %d warmUp %s: start->ready %d ms; ready->90%% of steady %s ms; first second at %s of steady (%s MB/s)\n' \
        "$run" "$warm" "$startup" "$t90" "$frac" "$steady"
    if [ -n "${VERBOSE:-}" ]; then grep '^window' "$DIR/probe-$run.txt" | head -24; fi
    t90s[$warm]+="$t90 "; fracs[$warm]+="$frac "; startups[$warm]+="$startup "
  done
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
for warm in $WARM_UPS; do
    # shellcheck disable=SC2086
    echo "warmUp $warm, median over $RUNS runs: start->ready $(median ${startups[$warm]}) ms;" \
         "ready->90% of steady $(median ${t90s[$warm]}) ms; first second at $(median ${fracs[$warm]}) of steady"
done
