#!/usr/bin/env bash
# Gantry's benchmark (issue 2): Gantry, Distribution in proxy mode, nginx as a
# caching proxy and nginx serving the same files statically, all in front of
# one upstream Distribution reached through a forwarder that makes it look
# like a remote hub (added round-trip time, capped bandwidth). Prints cold and
# warm pulls, hot-blob req/s and MB/s, manifest req/s, upstream request counts
# and memory as medians over --runs, with ratios against the references.
#
#   bench/run.sh                 # the full suite, 3 runs (~25 min on 2 cores)
#   bench/run.sh --quick         # one short run with a 64 MB big blob (~4 min)
#   bench/run.sh --help
#
# Every server binds 127.0.0.1, runs under `timeout`, and is stopped by its
# process id when the script exits. Everything lives under bench/out/.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")

RUNS=3
DURATION=10        # seconds of each measured wrk run
WARMUP=5           # seconds of an unmeasured wrk run before each measured one (the JIT needs them)
BIG_MB=512
RTT_MS=50
MBIT=100
TAG_TTL=2          # seconds, for Gantry's cache.tagTtl and nginx's manifest proxy_cache_valid
CONNS=64
BIG_CONNS=8        # connections for the 512 MB MB/s test
MANY_CONNS=1000
CONC_PULLS=8
CACHES="gantry distribution nginx-proxy nginx-static"
JAR=""             # --jar: the Gantry jar to run (default: bin/gantry's, rebuilt when stale)
BASE_JAR=""        # --base-jar: a second Gantry build, run as cache gantry-base
PHASES="blob100k blob1m blobbig manifest memory cold"
PORT_BASE=${BENCH_PORT_BASE:-17300}
OUT=$HERE/out
# Gantry runs through bin/gantry, with the JVM flags operators get; these are added to them.
export GANTRY_JAVA_OPTS=${GANTRY_JAVA_OPTS:-}
MAX_SERVER_SECONDS=7200   # no server outlives this, whatever happens to the script

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    cat <<EOF

Options (defaults in brackets):
  --runs N          suite repetitions; medians are taken over them [$RUNS]
  --quick           one run, 3 s wrk runs, 64 MB big blob: checks the harness
  --caches LIST     comma-separated from gantry, gantry-nolog (access log off),
                    gantry-nomem (memory tier off), gantry-serial (Serial GC
                    instead of G1), distribution, nginx-proxy, nginx-static
                    [${CACHES// /,}]
  --duration S      measured wrk seconds [$DURATION]
  --big-mb N        size of the big blob [$BIG_MB]
  --rtt-ms N        round trip the forwarder adds [$RTT_MS]
  --mbit N          bandwidth cap of the forwarder [$MBIT]
  --tag-ttl S       tag TTL of Gantry and nginx [$TAG_TTL]
  --out DIR         where data, logs and results go [$OUT]
  --jar JAR         run this Gantry jar as cache gantry [bin/gantry's own,
                    rebuilt when the sources are newer]
  --base-jar JAR    also run this Gantry jar (e.g. a build of an older commit)
                    as cache gantry-base, configured as gantry: a before/after
                    comparison within one run
  --phases LIST     which measurements follow the pulls (always run): a
                    comma-separated subset of blob100k, blob1m, blobbig,
                    manifest, memory, cold (concurrent cold pulls)
                    [${PHASES// /,}]
Environment: BENCH_PORT_BASE [17300] (ports BASE..BASE+20),
  GANTRY_JAVA_OPTS (JVM flags added to bin/gantry's) [$GANTRY_JAVA_OPTS]
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift ;;
        --quick) RUNS=1; DURATION=3; WARMUP=2; BIG_MB=64 ;;
        --caches) CACHES=${2//,/ }; shift ;;
        --duration) DURATION=$2; shift ;;
        --big-mb) BIG_MB=$2; shift ;;
        --rtt-ms) RTT_MS=$2; shift ;;
        --mbit) MBIT=$2; shift ;;
        --tag-ttl) TAG_TTL=$2; shift ;;
        --out) OUT=$2; shift ;;
        --jar) JAR=$(realpath "$2"); shift ;;
        --base-jar) BASE_JAR=$(realpath "$2"); shift ;;
        --phases) PHASES=${2//,/ }; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

for tool in java wrk nginx docker-registry skopeo curl timeout; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y wrk nginx docker-registry skopeo curl" >&2; exit 2; }
done

UP_PORT=$PORT_BASE
FWD_PORT=$((PORT_BASE + 1))
CTL_PORT=$((PORT_BASE + 2))
declare -A CACHE_PORT=([gantry]=$((PORT_BASE + 10)) [gantry-nolog]=$((PORT_BASE + 11)) [gantry-nomem]=$((PORT_BASE + 15))
                       [gantry-serial]=$((PORT_BASE + 16)) [gantry-base]=$((PORT_BASE + 17))
                       [distribution]=$((PORT_BASE + 12)) [nginx-proxy]=$((PORT_BASE + 13)) [nginx-static]=$((PORT_BASE + 14)))
WORKERS=$(nproc)

DATA=$OUT/data-${BIG_MB}mb
RUN_DIR=$OUT/run-$(date +%Y%m%dT%H%M%S)
RESULTS=$RUN_DIR/results.tsv
mkdir -p "$DATA" "$RUN_DIR"
# skopeo must see no mirrors, credentials or signature policy of this machine.
printf 'unqualified-search-registries = []\n' > "$RUN_DIR/registries.conf"
printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' > "$RUN_DIR/policy.json"
printf '{}\n' > "$RUN_DIR/auth.json"
# (Not REGISTRY_AUTH_FILE: Distribution would read it as its own auth.file setting.)
export CONTAINERS_REGISTRIES_CONF=$RUN_DIR/registries.conf

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "$RUN_DIR/bench.log" >&2; }

# ---- processes ----------------------------------------------------------------------------

declare -a STARTED=()     # pids of the `timeout` wrappers we started
declare -A SERVER_PID=()  # name -> pid of the server under its wrapper

cleanup() {
    local p
    for p in "${STARTED[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    for p in "${STARTED[@]}"; do
        wait "$p" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME LOGFILE CMD... : runs CMD under timeout; records the wrapper and the server's pid.
start() {
    local name=$1 logfile=$2
    shift 2
    timeout -k 10 "$MAX_SERVER_SECONDS" "$@" >"$logfile" 2>&1 &
    local wrapper=$!
    STARTED+=("$wrapper")
    local child=""
    for _ in $(seq 100); do
        child=$(pgrep -P "$wrapper" | head -1 || true)
        [ -n "$child" ] && break
        sleep 0.05
    done
    [ -n "$child" ] || { log "$name did not start; see $logfile"; tail -20 "$logfile" >&2; exit 1; }
    SERVER_PID[$name]=$child
    WRAPPER_PID[$name]=$wrapper
}
declare -A WRAPPER_PID=()

stop() {
    local name=$1 wrapper=${WRAPPER_PID[$1]:-}
    [ -n "$wrapper" ] || return 0
    kill "$wrapper" 2>/dev/null || true
    wait "$wrapper" 2>/dev/null || true
    unset "SERVER_PID[$name]" "WRAPPER_PID[$name]"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_http() { # URL SECONDS
    local deadline=$((SECONDS + $2))
    until curl -s -o /dev/null --max-time 2 "$1"; do
        [ $SECONDS -lt $deadline ] || { log "timed out waiting for $1"; return 1; }
        sleep 0.2
    done
}

# The server's pid plus its children (nginx workers).
pids_of() { local p=${SERVER_PID[$1]}; echo "$p" $(pgrep -P "$p" || true); }

# Sum of a /proc/PID/status field (kB) over the server's processes, in MB.
status_mb() { # NAME FIELD
    local total=0 p v
    for p in $(pids_of "$1"); do
        v=$(awk -v f="$2:" '$1 == f {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
        total=$((total + ${v:-0}))
    done
    echo $((total / 1024))
}
reset_peak() { local p; for p in $(pids_of "$1"); do echo 5 > "/proc/$p/clear_refs" 2>/dev/null || true; done; }
fds() { local total=0 p; for p in $(pids_of "$1"); do total=$((total + $(ls "/proc/$p/fd" | wc -l))); done; echo $total; }

# ---- the forwarder --------------------------------------------------------------------------

fwd() { curl -sf --max-time 10 "http://127.0.0.1:$CTL_PORT/$1"; }
hub_like() { fwd "set?rtt-ms=$RTT_MS&mbit=$MBIT" >/dev/null; }
fast_link() { fwd "set?rtt-ms=$RTT_MS&mbit=0" >/dev/null; }

# Waits until the upstream has seen no request for 2 s: a cache that queued requests from a
# finished wrk run (Distribution does) must not go on loading the machine during the next one.
quiesce() {
    local last=-1 now quiet=0
    for _ in $(seq 180); do
        now=$(fwd stats | awk '$1 == "requests" {print $2}')
        if [ "$now" = "$last" ]; then
            quiet=$((quiet + 1))
            [ $quiet -ge 2 ] && return 0
        else
            quiet=0
        fi
        last=$now
        sleep 1
    done
    log "the upstream was still getting requests after 180 s"
}

# Blob GETs the upstream saw since the last reset: "total distinct max-per-digest".
upstream_blob_gets() {
    fwd log | awk '$3 == "GET" && $4 ~ /\/blobs\/sha256:/ { n++; split($4, a, "/blobs/"); c[a[2]]++ }
        END { d = 0; m = 0; for (k in c) { d++; if (c[k] > m) m = c[k] } printf "%d %d %d\n", n, d, m }'
}

# ---- results --------------------------------------------------------------------------------

RUN=0
CACHE=""
record() { printf '%s\t%s\t%s\t%s\n' "$RUN" "$CACHE" "$1" "$2" >> "$RESULTS"; log "  $CACHE $1 = $2"; }

# CPU time (user + system, clock ticks) of the cache's processes.
cpu_ticks() { local t=0 p; for p in $(pids_of "$CACHE"); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo $t; }

# wrk_run LABEL URL CONNS SECONDS [wrk args...]: prints "req/s MB/s errors cpu-µs-per-request
# cpu-ms-per-GB" for $CACHE.
# CPU per request is the server's own CPU time over the requests it completed: unlike req/s it
# hardly depends on what else the machine is doing.
wrk_run() {
    local label=$1 url=$2 conns=$3 secs=$4
    shift 4
    local threads=2 c0 c1
    [ "$conns" -lt 2 ] && threads=1
    local out=$RUN_DIR/wrk-$RUN-$CACHE-$label.txt
    c0=$(cpu_ticks)
    wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 300s -s "$HERE/wrk-report.lua" "$@" "$url" > "$out" 2>&1 || true
    c1=$(cpu_ticks)
    awk -v ticks=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" '/^WRK / {
            for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            s = v["duration_us"] / 1e6
            printf "%.0f %.1f %d %.1f %.0f\n", v["requests"] / s, v["bytes"] / s / 1e6,
                v["connect"] + v["read"] + v["write"] + v["timeout"] + v["status"],
                (v["requests"] > 0 ? ticks / hz * 1e6 / v["requests"] : 0),
                (v["bytes"] > 0 ? ticks / hz * 1e3 / (v["bytes"] / 1e9) : 0)
            found = 1 }
         END { if (!found) print "0 0 -1 0 0" }' "$out"
}

measure() { # LABEL URL CONNS SECONDS [wrk args] : warm-up, then the measured run
    wrk_run "$1-warmup" "$2" "$3" "$WARMUP" "${@:5}" >/dev/null
    wrk_run "$@"
}

# ---- data -------------------------------------------------------------------------------------

prepare_upstream() {
    port_free "$UP_PORT" || { echo "port $UP_PORT is taken; set BENCH_PORT_BASE" >&2; exit 2; }
    mkdir -p "$DATA/upstream"
    sed -e "s|@DATA@|$DATA/upstream|" -e "s|@PORT@|$UP_PORT|" "$HERE/conf/upstream.yml" > "$RUN_DIR/upstream.yml"
    start upstream "$RUN_DIR/upstream.log" docker-registry serve "$RUN_DIR/upstream.yml"
    wait_http "http://127.0.0.1:$UP_PORT/v2/" 30
    if ! grep -q 'bench/warmup' "$DATA/gen/images.tsv" 2>/dev/null; then
        log "generating and pushing images (one time per --big-mb) into $DATA"
        java "$HERE/ImageGen.java" --registry "http://127.0.0.1:$UP_PORT" --out "$DATA/gen" --big-mb "$BIG_MB"
    fi
    # nginx-static serves the very same files, laid out as the API paths (hard links).
    while IFS=$'\t' read -r kind repo label digest size; do
        if [ "$kind" = manifest ]; then
            mkdir -p "$DATA/static/v2/$repo/manifests"
            cp "$DATA/gen/manifests/$repo/$label" "$DATA/static/v2/$repo/manifests/$label"
            cp "$DATA/gen/manifests/$repo/$label" "$DATA/static/v2/$repo/manifests/$digest"
        else
            mkdir -p "$DATA/static/v2/$repo/blobs"
            ln -f "$DATA/gen/blobs/sha256/${digest#sha256:}" "$DATA/static/v2/$repo/blobs/$digest"
        fi
    done < "$DATA/gen/images.tsv"
    BLOB_100K=$(awk -F'\t' '$3 == "100KB" {print $4}' "$DATA/gen/images.tsv")
    BLOB_1M=$(awk -F'\t' '$3 == "1MB" {print $4}' "$DATA/gen/images.tsv")
    BLOB_BIG=$(awk -F'\t' -v l="${BIG_MB}MB" '$3 == l {print $4}' "$DATA/gen/images.tsv")
    chmod -R a+rX "$DATA/static"
}

start_forwarder() {
    port_free $FWD_PORT && port_free $CTL_PORT || { echo "ports $FWD_PORT/$CTL_PORT taken; set BENCH_PORT_BASE" >&2; exit 2; }
    start forwarder "$RUN_DIR/forwarder.log" java -Xmx256m "$HERE/Forwarder.java" --listen "127.0.0.1:$FWD_PORT" \
        --target "127.0.0.1:$UP_PORT" --control "127.0.0.1:$CTL_PORT" --rtt-ms "$RTT_MS" --mbit "$MBIT"
    wait_http "http://127.0.0.1:$CTL_PORT/stats" 60
    wait_http "http://127.0.0.1:$FWD_PORT/v2/" 30
}

# ---- caches -----------------------------------------------------------------------------------

GANTRY_JAR=$ROOT/proxy-server/target/gantry.jar

# start_cache NAME: a fresh instance with empty storage.
start_cache() {
    local name=$1 port=${CACHE_PORT[$1]} dir=$RUN_DIR/$RUN-$1${2:+-$2}
    port_free "$port" || { echo "port $port taken; set BENCH_PORT_BASE" >&2; exit 2; }
    rm -rf "$dir"
    mkdir -p "$dir/tmp"
    case "$name" in
        gantry|gantry-nolog|gantry-nomem|gantry-serial|gantry-base)
            local access=true memory=32MiB opts=$GANTRY_JAVA_OPTS jar=$JAR
            [ "$name" = gantry-base ] && jar=$BASE_JAR
            [ "$name" = gantry-nolog ] && access=false
            [ "$name" = gantry-nomem ] && memory=0
            [ "$name" = gantry-serial ] && opts="$opts -XX:-UseG1GC -XX:+UseSerialGC"
            sed -e "s|@PORT@|$port|" -e "s|@FWD@|$FWD_PORT|" -e "s|@DIR@|$dir|" -e "s|@TAG_TTL@|$TAG_TTL|" \
                -e "s|@ACCESS_LOG@|$access|g" -e "s|@MEMORY@|$memory|g" "$HERE/conf/gantry.yaml" > "$dir/gantry.yaml"
            GANTRY_JAR=$jar GANTRY_JAVA_OPTS=$opts start "$name" "$dir/server.log" "$ROOT/bin/gantry" serve --config "$dir/gantry.yaml"
            wait_http "http://127.0.0.1:$port/readyz" 60 ;;
        distribution)
            sed -e "s|@PORT@|$port|" -e "s|@FWD@|$FWD_PORT|" -e "s|@DIR@|$dir|" "$HERE/conf/distribution-proxy.yml" > "$dir/config.yml"
            start "$name" "$dir/server.log" docker-registry serve "$dir/config.yml"
            wait_http "http://127.0.0.1:$port/v2/" 30 ;;
        nginx-proxy|nginx-static)
            mkdir -p "$dir/cache"
            sed -e "s|@PORT@|$port|" -e "s|@FWD@|$FWD_PORT|" -e "s|@DIR@|$dir|" -e "s|@TAG_TTL@|$TAG_TTL|" \
                -e "s|@WORKERS@|$WORKERS|" -e "s|@STATIC@|$DATA/static|" "$HERE/conf/$name.conf" > "$dir/nginx.conf"
            start "$name" "$dir/server.log" nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;'
            wait_http "http://127.0.0.1:$port/v2/" 30 ;;
        *) echo "unknown cache $name" >&2; exit 2 ;;
    esac
}

is_cache() { [ "$1" != nginx-static ]; }
phase() { [[ " $PHASES " == *" $1 "* ]]; }

pull() { # PORT DEST [IMAGE]
    skopeo --policy "$RUN_DIR/policy.json" copy -q --src-tls-verify=false --src-authfile "$RUN_DIR/auth.json" \
        "docker://127.0.0.1:$1/${3:-bench/pull:1}" "dir:$2" > "$2.log" 2>&1
}

timed_pull() { # PORT [IMAGE] -> seconds, or "fail"
    local dest=$RUN_DIR/pull-$RANDOM$RANDOM t0 t1
    t0=$(date +%s.%N)
    if pull "$1" "$dest" "${2:-}"; then
        t1=$(date +%s.%N)
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }'
    else
        log "pull failed: $(tail -3 "$dest.log")"
        echo fail
    fi
    rm -rf "$dest" "$dest.log"
}

declare -A PEAK=()
note_peak() { local p; p=$(status_mb "$1" VmHWM); [ "$p" -gt "${PEAK[$1]:-0}" ] && PEAK[$1]=$p; return 0; }
base_of() { echo "http://127.0.0.1:${CACHE_PORT[$1]}/v2"; }

# Phase 1, per cache: a fresh instance; cold and warm pull through the hub; the hot blobs brought in.
# The instance keeps running for the next phases.
pulls() {
    local name=$1 port=${CACHE_PORT[$1]} base b
    base=$(base_of "$1")
    start_cache "$name"
    if ! is_cache "$name"; then
        record warm_pull_s "$(timed_pull "$port")"
        note_peak "$name"
        return
    fi
    # No server is measured on its very first requests (class loading, interpreted code): each
    # pulls a small, unrelated image first.
    fast_link
    [ "$(timed_pull "$port" bench/warmup:1)" != fail ] || log "warm-up pull through $name failed"
    hub_like
    fwd reset >/dev/null
    record cold_pull_s "$(timed_pull "$port")"
    read -r n d m <<< "$(upstream_blob_gets)"
    record cold_upstream_blob_gets "$n"
    record cold_distinct_blobs "$d"
    record cold_max_gets_per_blob "$m"
    fwd reset >/dev/null
    record warm_pull_s "$(timed_pull "$port")"
    read -r n d m <<< "$(upstream_blob_gets)"
    record warm_upstream_blob_gets "$n"

    # Bring the hot blobs in once over an uncapped link (the 512 MB one would take minutes at the cap).
    fast_link
    fwd reset >/dev/null
    for b in "$BLOB_100K" "$BLOB_1M" "$BLOB_BIG"; do
        curl -sf -o /dev/null --max-time 600 "$base/bench/blobs/blobs/$b" || log "warming $b through $name failed"
    done
    sleep 1 # nginx commits a cache file after the response ends
    for b in "$BLOB_100K" "$BLOB_1M" "$BLOB_BIG"; do
        curl -sf -o /dev/null --max-time 600 "$base/bench/blobs/blobs/$b" || true
    done
    read -r n d m <<< "$(upstream_blob_gets)"
    record hot_warmup_upstream_blob_gets "$n"
    hub_like
    note_peak "$name"
}

# Phase 2, metric by metric, the caches back to back (in an order that rotates with the run), so
# that load from elsewhere on the machine falls on all of them alike.
hot_paths() {
    local order=("$@") accept="Accept: application/vnd.oci.image.manifest.v1+json"
    # A fresh JVM compiles its hot paths during its first 10-20 s under load (Gantry serves small
    # blobs 3-5x slower until then). Every server gets the same 15 s on the small blob and 5 s on the
    # tag before anything is measured; the first 10 s are recorded, to show what a cold start costs.
    hub_like
    for CACHE in "${order[@]}"; do
        read -r rps mbps err cpu <<< "$(wrk_run jit-blob100k "$(base_of "$CACHE")/bench/blobs/blobs/$BLOB_100K" "$CONNS" 10)"
        record first10s_blob100k_rps "$rps"
        wrk_run jit-blob100k-2 "$(base_of "$CACHE")/bench/blobs/blobs/$BLOB_100K" "$CONNS" 5 >/dev/null
        wrk_run jit-manifest "$(base_of "$CACHE")/bench/pull/manifests/1" "$CONNS" 5 -H "$accept" >/dev/null
        quiesce
    done
    phase blob100k && for CACHE in "${order[@]}"; do
        read -r rps mbps err cpu <<< "$(measure blob100k "$(base_of "$CACHE")/bench/blobs/blobs/$BLOB_100K" "$CONNS" "$DURATION")"
        record blob100k_rps "$rps"; record blob100k_errors "$err"; record blob100k_cpu_us "$cpu"
        note_peak "$CACHE"
    done
    phase blob1m && for CACHE in "${order[@]}"; do
        read -r rps mbps err cpu <<< "$(measure blob1m "$(base_of "$CACHE")/bench/blobs/blobs/$BLOB_1M" "$CONNS" "$DURATION")"
        record blob1m_rps "$rps"; record blob1m_mbps "$mbps"; record blob1m_errors "$err"; record blob1m_cpu_us "$cpu"
        note_peak "$CACHE"
    done
    phase blobbig && for CACHE in "${order[@]}"; do
        read -r rps mbps err cpu cpugb <<< "$(measure blobbig "$(base_of "$CACHE")/bench/blobs/blobs/$BLOB_BIG" "$BIG_CONNS" "$DURATION")"
        record blobbig_mbps "$mbps"; record blobbig_errors "$err"; record blobbig_cpu_ms_per_gb "$cpugb"
        note_peak "$CACHE"
    done
    # Tags through the emulated hub, so each revalidation costs what it would.
    hub_like
    phase manifest && for CACHE in "${order[@]}"; do
        local url
        url="$(base_of "$CACHE")/bench/pull/manifests/1"
        wrk_run manifest-warmup "$url" "$CONNS" "$WARMUP" -H "$accept" >/dev/null
        quiesce
        fwd reset >/dev/null
        read -r rps mbps err cpu <<< "$(wrk_run manifest "$url" "$CONNS" "$DURATION" -H "$accept")"
        record manifest_rps "$rps"; record manifest_errors "$err"; record manifest_cpu_us "$cpu"
        record manifest_upstream_requests "$(fwd log | grep -c /manifests/ || true)"
        quiesce
        note_peak "$CACHE"
    done
    return 0 # a phase left out must not end the script (set -e)
}

# Phase 3, per cache: 64 big-blob downloads at once (peak RSS), then 1,000 keep-alive connections
# twice (errors; descriptors and memory once they closed). Stops the instance.
memory_and_connections() {
    local name=$1 base round
    base=$(base_of "$1")
    reset_peak "$name"
    read -r rps mbps err cpu cpugb <<< "$(wrk_run big64 "$base/bench/blobs/blobs/$BLOB_BIG" 64 $((DURATION * 2)))"
    record big64_mbps "$mbps"; record big64_errors "$err"; record big64_cpu_ms_per_gb "$cpugb"
    record big64_peak_rss_mb "$(status_mb "$name" VmHWM)"
    note_peak "$name"
    sleep 1
    record fds_before "$(fds "$name")"
    record rss_before_mb "$(status_mb "$name" VmRSS)"
    for round in 1 2; do
        read -r rps mbps err cpu <<< "$(wrk_run conn1000-$round "$base/bench/blobs/blobs/$BLOB_100K" "$MANY_CONNS" "$DURATION")"
        record conn1000_${round}_rps "$rps"; record conn1000_${round}_errors "$err"
        note_peak "$name"
        sleep 2
        record fds_after_$round "$(fds "$name")"
        record rss_after_${round}_mb "$(status_mb "$name" VmRSS)"
    done
    record peak_rss_mb "${PEAK[$name]:-0}"
    stop "$name"
}

# Phase 4, per cache: N concurrent cold pulls of one image from an empty instance, through the capped hub.
concurrent_cold() {
    local name=$1 port=${CACHE_PORT[$1]} i t0 t1 ok=1
    start_cache "$name" cold
    fast_link
    [ "$(timed_pull "$port" bench/warmup:1)" != fail ] || log "warm-up pull through $name failed"
    hub_like
    fwd reset >/dev/null
    t0=$(date +%s.%N)
    local pids=()
    for i in $(seq "$CONC_PULLS"); do
        pull "$port" "$RUN_DIR/cpull-$i" & pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || ok=0; done
    t1=$(date +%s.%N)
    [ $ok = 1 ] || log "a concurrent pull through $name failed: $(cat "$RUN_DIR"/cpull-*.log | tail -3)"
    rm -rf "$RUN_DIR"/cpull-*
    record cold${CONC_PULLS}_pull_s "$( [ $ok = 1 ] && awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }' || echo fail)"
    read -r n d m <<< "$(upstream_blob_gets)"
    record cold${CONC_PULLS}_upstream_blob_gets "$n"
    record cold${CONC_PULLS}_max_gets_per_blob "$m"
    stop "$name"
}

# ---- main -------------------------------------------------------------------------------------

if [[ " $CACHES " == *" gantry"* ]] && [ ! -f "$GANTRY_JAR" ]; then
    # bin/gantry would build it too, but inside a timed start-up.
    log "building Gantry"
    (cd "$ROOT" && mvn -B -q -DskipTests package)
fi

{
    echo "date $(date -Is)"
    echo "host $(nproc) cores, $(free -m | awk '/Mem:/ {print $2}') MB; load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "gantry $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null) ${JAR:-$GANTRY_JAR} $(stat -c %y "${JAR:-$GANTRY_JAR}" 2>/dev/null | cut -d. -f1)"
    [ -z "$BASE_JAR" ] || echo "gantry-base $BASE_JAR $(stat -c %y "$BASE_JAR" 2>/dev/null | cut -d. -f1)"
    echo "java $(java -version 2>&1 | head -1); bin/gantry $(grep -A1 '^default_opts=' "$ROOT/bin/gantry" | tr -s ' \n' ' ' | sed 's/default_opts=//'); GANTRY_JAVA_OPTS=$GANTRY_JAVA_OPTS"
    echo "$(nginx -v 2>&1); $(docker-registry --version); $(skopeo --version); $(wrk --version 2>&1 | head -1)"
    echo "runs $RUNS, wrk ${DURATION}s (+${WARMUP}s warm-up) -t2 -c$CONNS (big blob -c$BIG_CONNS), big blob ${BIG_MB} MB,"
    echo "hub: +${RTT_MS} ms RTT, ${MBIT} Mbit/s; tagTtl ${TAG_TTL}s; caches: $CACHES"
} | tee "$RUN_DIR/env.txt"

prepare_upstream
start_forwarder

read -r -a ALL <<< "$CACHES"
for RUN in $(seq "$RUNS"); do
    # Rotate the order each run so no cache always goes first (or last) in each phase.
    ORDER=("${ALL[@]:$(( (RUN - 1) % ${#ALL[@]} ))}" "${ALL[@]:0:$(( (RUN - 1) % ${#ALL[@]} ))}")
    log "run $RUN/$RUNS, order: ${ORDER[*]}"
    for CACHE in "${ORDER[@]}"; do pulls "$CACHE"; done
    hot_paths "${ORDER[@]}"
    for CACHE in "${ORDER[@]}"; do
        if phase memory; then memory_and_connections "$CACHE"; else stop "$CACHE"; fi
    done
    phase cold && for CACHE in "${ORDER[@]}"; do
        if is_cache "$CACHE"; then concurrent_cold "$CACHE"; fi
    done
    rm -rf "$RUN_DIR"/"$RUN"-*/data "$RUN_DIR"/"$RUN"-*/cache
done

"$HERE/summarize.sh" "$RUN_DIR" | tee "$RUN_DIR/summary.txt"
