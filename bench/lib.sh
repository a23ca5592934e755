#!/usr/bin/env bash
# Shared helpers of bench/storage.sh, bench/hardware.sh and bench/prefetch.sh
# (bench/run.sh keeps its own). Source it after setting OUT_NAME (the run
# directory's prefix) and PORT_BASE; then call lib_init.
#
# Run directly, it reprints a finished run's table:
#   bench/lib.sh table bench/out/storage-20260101T120000
#
# Conventions: every server binds 127.0.0.1, runs under `timeout`, and is
# stopped by its process id when the script exits; results.tsv holds one line
# per run and metric ("RUN<TAB>METRIC<TAB>VALUE"); table.spec says which rows
# the table shows and which metric each is compared with.

LIB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LIB_ROOT=$(dirname "$LIB_HERE")
GANTRY_JAR=${GANTRY_JAR:-$LIB_ROOT/proxy-server/target/gantry.jar}  # preset: measure that jar while the tree changes
MAX_SERVER_SECONDS=${MAX_SERVER_SECONDS:-3600}   # no server outlives this, whatever happens to the script
OTHER_BENCH_PATTERN=${OTHER_BENCH_PATTERN:-bench/run.sh}
OTHER_BENCH_MAX_WAIT=${OTHER_BENCH_MAX_WAIT:-2400}  # seconds

# ---- run directory, log, results -----------------------------------------------------------

# lib_init NAME: creates bench/out/NAME-<time>/ (RUN_DIR), RESULTS, the skopeo files, the traps.
lib_init() {
    OUT=${OUT:-$LIB_HERE/out}
    RUN_DIR=$OUT/$1-$(date +%Y%m%dT%H%M%S)
    RESULTS=$RUN_DIR/results.tsv
    mkdir -p "$RUN_DIR"
    : > "$RESULTS"
    # skopeo must see no mirrors, credentials or signature policy of this machine.
    printf 'unqualified-search-registries = []\n' > "$RUN_DIR/registries.conf"
    printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' > "$RUN_DIR/policy.json"
    printf '{}\n' > "$RUN_DIR/auth.json"
    export CONTAINERS_REGISTRIES_CONF=$RUN_DIR/registries.conf
    if [ "${JFR:-0}" = 1 ]; then
        export GANTRY_JAVA_OPTS="${GANTRY_JAVA_OPTS:-} -XX:StartFlightRecording=name=bench,settings=profile,maxage=30m"
        # A JVM that records a class-data-sharing archive at exit runs without the flight recorder.
        export GANTRY_CDS=off
    fi
    trap lib_cleanup EXIT
    trap 'exit 130' INT TERM
}

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "$RUN_DIR/bench.log" >&2; }
die() { log "FATAL: $*"; exit 1; }

RUN=0
# record METRIC VALUE: one result line for the current RUN.
record() { printf '%s\t%s\t%s\n' "$RUN" "$1" "$2" >> "$RESULTS"; log "  run $RUN: $1 = $2"; }
note() { printf '%s\n' "$*" >> "$RUN_DIR/notes.txt"; log "NOTE: $*"; }

need_tools() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null || { echo "missing $t (Debian: apt-get install -y wrk nginx docker-registry skopeo curl)" >&2; exit 2; }
    done
}

build_gantry() {
    if [ ! -f "$GANTRY_JAR" ]; then
        log "building Gantry"
        (cd "$LIB_ROOT" && mvn -B -o -q -DskipTests package)
    fi
}

env_header() { # LINES...: what ran, where, with what
    {
        echo "date $(date -Is)"
        echo "host $(nproc) cores, $(free -m | awk '/Mem:/ {print $2}') MB; load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "gantry $(cd "$LIB_ROOT" && git rev-parse --short HEAD 2>/dev/null) (jar $(stat -c %y "$GANTRY_JAR" 2>/dev/null | cut -d. -f1))"
        echo "java $(java -version 2>&1 | head -1); bin/gantry flags $(grep -A1 '^default_opts=' "$LIB_ROOT/bin/gantry" | tr -s ' \n' ' ' | sed 's/default_opts=//'); GANTRY_JAVA_OPTS=${GANTRY_JAVA_OPTS:-}"
        local l
        for l in "$@"; do echo "$l"; done
    } | tee "$RUN_DIR/env.txt"
}

# ---- another benchmark on the machine ------------------------------------------------------

# Waits (polling every 30 s, at most OTHER_BENCH_MAX_WAIT) while bench/run.sh runs, so that
# measurements do not overlap it; past the limit, goes ahead and notes the overlap.
wait_other_bench() {
    local waited=0
    while pgrep -f "$OTHER_BENCH_PATTERN" >/dev/null; do
        if [ $waited -ge "$OTHER_BENCH_MAX_WAIT" ]; then
            note "run $RUN overlaps $OTHER_BENCH_PATTERN (still running after ${waited}s of waiting)"
            return 0
        fi
        [ $waited -eq 0 ] && log "waiting for $OTHER_BENCH_PATTERN to finish (polling every 30 s)"
        sleep 30
        waited=$((waited + 30))
    done
    [ $waited -eq 0 ] || log "waited ${waited}s for $OTHER_BENCH_PATTERN"
}

# Notes it if bench/run.sh started during a measurement (call after each run).
check_overlap() {
    if pgrep -f "$OTHER_BENCH_PATTERN" >/dev/null; then
        note "run $RUN: $OTHER_BENCH_PATTERN was running at the end of this run (overlap)"
    fi
}

# ---- processes ------------------------------------------------------------------------------

declare -a STARTED=()      # pids of the `timeout` wrappers we started
declare -A SERVER_PID=()   # name -> pid of the server under its wrapper
declare -A WRAPPER_PID=()
declare -A SERVER_LOG=()

lib_cleanup() {
    local p
    for p in "${STARTED[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${STARTED[@]}"; do wait "$p" 2>/dev/null || true; done
}

# start NAME LOGFILE CMD...: runs CMD under timeout; records the wrapper's and the server's pid.
start() {
    local name=$1 logfile=$2 child="" wrapper
    shift 2
    timeout -k 10 "$MAX_SERVER_SECONDS" "$@" >"$logfile" 2>&1 &
    wrapper=$!
    STARTED+=("$wrapper")
    for _ in $(seq 100); do
        child=$(pgrep -P "$wrapper" | head -1 || true)
        [ -n "$child" ] && break
        sleep 0.05
    done
    [ -n "$child" ] || { tail -20 "$logfile" >&2; die "$name did not start; see $logfile"; }
    SERVER_PID[$name]=$child
    WRAPPER_PID[$name]=$wrapper
    SERVER_LOG[$name]=$logfile
}

# stop NAME: SIGTERM to the wrapper (timeout passes it on), then waits for it.
stop() {
    local name=$1 wrapper=${WRAPPER_PID[$1]:-}
    [ -n "$wrapper" ] || return 0
    kill "$wrapper" 2>/dev/null || true
    wait "$wrapper" 2>/dev/null || true
    unset "SERVER_PID[$name]" "WRAPPER_PID[$name]"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
need_port() { port_free "$1" || die "port $1 is taken; set BENCH_PORT_BASE"; }

wait_http() { # URL SECONDS [NAME]: with NAME, gives up as soon as that server exited
    local deadline=$((SECONDS + $2))
    until curl -s -o /dev/null --max-time 2 "$1"; do
        [ $SECONDS -lt $deadline ] || die "timed out waiting for $1"
        if [ -n "${3:-}" ] && ! kill -0 "${SERVER_PID[$3]}" 2>/dev/null; then
            die "$3 exited while starting: $(tail -3 "${SERVER_LOG[$3]}")"
        fi
        sleep 0.1
    done
}

# CPU time (user + system, clock ticks) of a process and its children (nginx workers).
cpu_ticks() {
    local t=0 p
    for p in "$1" $(pgrep -P "$1" || true); do
        t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    echo $t
}

# With JFR=1 in the environment, a Gantry started through bin/gantry after lib_init records a CPU
# profile from its start (lib_init adds -XX:StartFlightRecording to GANTRY_JAVA_OPTS), and
# jfr_start/jfr_stop cut the measured window out of it (JFR.dump begin/end, and FILE.window, which
# bench/JfrTop.java honours: `java bench/JfrTop.java FILE 40`). A recording started in a running JVM (JFR.start)
# deoptimizes compiled code: profiles taken that way showed, for seconds after, code at C1 (SHA-256
# in Java rather than its intrinsic, a third of a fleet replica's samples), so that is only the
# fallback for a process started otherwise. It perturbs what it measures: a diagnostic run, not the figures.
declare -A JFR_BEGIN=()
jfr_start() { # PID NAME
    [ "${JFR:-0}" = 1 ] || return 0
    if jcmd "$1" JFR.check name=bench 2>/dev/null | grep -q 'name=bench'; then
        JFR_BEGIN[$2]=$(date +%s%3N)
    else
        jcmd "$1" JFR.start name="$2" settings=profile filename="$RUN_DIR/$2.jfr" >/dev/null
        log "NOTE: $2's recording starts in a running JVM, which sends compiled code back to C1 for a while"
    fi
}
jfr_stop() { # PID NAME
    [ "${JFR:-0}" = 1 ] || return 0
    if [ -n "${JFR_BEGIN[$2]:-}" ]; then
        local end; end=$(date +%s%3N)
        # The dump holds the recording's chunks that overlap the window; JfrTop counts only the
        # samples inside it (RECORDING.jfr.window).
        jcmd "$1" JFR.dump name=bench begin="$(date -d "@$((JFR_BEGIN[$2] / 1000))" +%Y-%m-%dT%H:%M:%S)" \
            end="$(date -d "@$((end / 1000 + 1))" +%Y-%m-%dT%H:%M:%S)" filename="$RUN_DIR/$2.jfr" >/dev/null \
            && printf '%s\n%s\n' "${JFR_BEGIN[$2]}" "$end" > "$RUN_DIR/$2.jfr.window" && log "profile: $RUN_DIR/$2.jfr"
        unset "JFR_BEGIN[$2]"
    else
        jcmd "$1" JFR.stop name="$2" >/dev/null && log "profile: $RUN_DIR/$2.jfr"
    fi
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f\n", b - a }'; }

# ---- servers --------------------------------------------------------------------------------

# start_upstream NAME PORT DATADIR: Distribution 2.8 with filesystem storage (the "remote hub").
start_upstream() {
    local name=$1 port=$2 data=$3
    need_port "$port"
    mkdir -p "$data"
    sed -e "s|@DATA@|$data|" -e "s|@PORT@|$port|" "$LIB_HERE/conf/upstream.yml" > "$RUN_DIR/$name.yml"
    start "$name" "$RUN_DIR/$name.log" docker-registry serve "$RUN_DIR/$name.yml"
    wait_http "http://127.0.0.1:$port/v2/" 30 "$name"
}

# start_forwarder NAME LISTEN_PORT TARGET_PORT CONTROL_PORT RTT_MS MBIT [FLAG...] (see Forwarder.java).
start_forwarder() {
    local name=$1 port=$2 target=$3 ctl=$4 rtt=$5 mbit=$6
    need_port "$port"; need_port "$ctl"
    start "$name" "$RUN_DIR/$name.log" java -Xmx256m "$LIB_HERE/Forwarder.java" --listen "127.0.0.1:$port" \
        --target "127.0.0.1:$target" --control "127.0.0.1:$ctl" --rtt-ms "$rtt" --mbit "$mbit" "${@:7}"
    wait_http "http://127.0.0.1:$ctl/stats" 60
    wait_http "http://127.0.0.1:$port/v2/" 30
}

# start_gantry NAME PORT CONFIG: bin/gantry with the operators' JVM flags; waits for /readyz.
start_gantry() {
    local name=$1 port=$2 config=$3
    need_port "$port"
    start "$name" "$(dirname "$config")/server.log" "$LIB_ROOT/bin/gantry" serve --config "$config"
    wait_http "http://127.0.0.1:$port/readyz" 90 "$name"
}

S3_IDENTITY=local-identity
S3_CREDENTIAL=local-credential

s3proxy_jar() {
    local j
    for j in "$LIB_ROOT"/proxy-server/target/s3proxy/s3proxy-*-jar-with-dependencies.jar \
             "$HOME"/.m2/repository/org/gaul/s3proxy/*/s3proxy-*-jar-with-dependencies.jar; do
        [ -f "$j" ] && { echo "$j"; return 0; }
    done
    return 1
}

# start_s3proxy NAME PORT DIR: S3Proxy over a directory, aws-v2-or-v4 auth, as the tests run it.
start_s3proxy() {
    local name=$1 port=$2 dir=$3 jar
    need_port "$port"
    jar=$(s3proxy_jar) || die "no S3Proxy jar: run 'mvn -B -o -DskipTests package' (it copies one to proxy-server/target/s3proxy/)"
    mkdir -p "$dir/data"
    cat > "$dir/s3proxy.properties" <<EOF
s3proxy.endpoint=http://127.0.0.1:$port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_IDENTITY
s3proxy.credential=$S3_CREDENTIAL
jclouds.provider=filesystem
jclouds.filesystem.basedir=$dir/data
EOF
    start "$name" "$RUN_DIR/$name.log" java -Xmx256m -jar "$jar" --properties "$dir/s3proxy.properties"
    wait_http "http://127.0.0.1:$port/" 60 "$name"
}

# s3_curl ARGS...: curl with AWS SigV4 as the S3Proxy identity (direct S3 API requests).
s3_curl() {
    # curl 7.88 does not send x-amz-content-sha256 itself; S3Proxy requires it.
    curl -s --aws-sigv4 "aws:amz:us-east-1:s3" -u "$S3_IDENTITY:$S3_CREDENTIAL" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}

# gantry_metric PORT NAME [LABEL=VALUE...]: the sum of a Prometheus sample over the series that
# carry all the labels given (0 when none does).
gantry_metric() {
    local port=$1 name=$2
    shift 2
    curl -sf --max-time 5 "http://127.0.0.1:$port/metrics" | awk -v name="$name" -v want="$*" '
        BEGIN { n = split(want, w, " ") }
        index($0, name) == 1 && (substr($0, length(name) + 1, 1) == "{" || substr($0, length(name) + 1, 1) == " ") {
            for (i = 1; i <= n; i++) { split(w[i], kv, "="); if (index($0, kv[1] "=\"" kv[2] "\"") == 0) next }
            sum += $NF }
        END { printf "%d\n", sum }'
}

# ---- pushing to the upstream ------------------------------------------------------------------

# push_blob REGISTRY REPO FILE: monolithic upload (skipped when present); prints the digest.
push_blob() {
    local reg=$1 repo=$2 file=$3 digest loc sep
    digest=sha256:$(sha256sum "$file" | cut -d' ' -f1)
    if [ "$(curl -s -o /dev/null -w '%{http_code}' -I "$reg/v2/$repo/blobs/$digest")" != 200 ]; then
        loc=$(curl -sf -X POST -D - -o /dev/null "$reg/v2/$repo/blobs/uploads/" | tr -d '\r' | awk 'tolower($1) == "location:" {print $2}')
        [ -n "$loc" ] || die "no upload location from $reg for $repo"
        case "$loc" in http*) ;; *) loc=$reg$loc ;; esac
        case "$loc" in *\?*) sep='&' ;; *) sep='?' ;; esac
        curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$file" \
            "$loc${sep}digest=$digest" -o /dev/null || die "upload of $file to $reg/$repo failed"
    fi
    echo "$digest"
}

# push_manifest REGISTRY REPO TAG FILE MEDIATYPE: prints the manifest's digest.
push_manifest() {
    local reg=$1 repo=$2 tag=$3 file=$4 type=$5
    curl -sf -X PUT -H "Content-Type: $type" --data-binary "@$file" "$reg/v2/$repo/manifests/$tag" -o /dev/null \
        || die "manifest PUT $repo:$tag to $reg failed"
    echo "sha256:$(sha256sum "$file" | cut -d' ' -f1)"
}

# skopeo_pull PORT IMAGE DEST: skopeo copy from a registry on loopback into dir:DEST.
skopeo_pull() {
    skopeo --policy "$RUN_DIR/policy.json" copy -q --src-tls-verify=false --src-authfile "$RUN_DIR/auth.json" \
        "docker://127.0.0.1:$1/$2" "dir:$3" > "$3.log" 2>&1
}

# ---- load -------------------------------------------------------------------------------------

# wrk_run OUTFILE URL CONNS SECONDS [PID [wrk args...]]: prints
# "req/s MB/s errors p50_ms p90_ms p99_ms p999_ms cpu_us_per_request" (cpu 0 without PID).
wrk_run() {
    local out=$1 url=$2 conns=$3 secs=$4 pid=${5:-} threads=2 c0=0 c1=0
    shift 4
    [ $# -gt 0 ] && shift
    [ "$conns" -lt 2 ] && threads=1
    [ -n "$pid" ] && c0=$(cpu_ticks "$pid")
    wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 30s --latency -s "$LIB_HERE/wrk-latency.lua" "$@" "$url" > "$out" 2>&1 || true
    [ -n "$pid" ] && c1=$(cpu_ticks "$pid")
    awk -v ticks=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" '/^WRKLAT / {
            for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
            s = v["duration_us"] / 1e6
            printf "%.0f %.2f %d %.3f %.3f %.3f %.3f %.1f\n", v["requests"] / s, v["bytes"] / s / 1e6,
                v["connect"] + v["read"] + v["write"] + v["timeout"] + v["status"],
                v["p50_ms"], v["p90_ms"], v["p99_ms"], v["p999_ms"],
                (v["requests"] > 0 ? ticks / hz * 1e6 / v["requests"] : 0)
            found = 1 }
         END { if (!found) print "0 0 -1 0 0 0 0 0" }' "$out"
}

# ---- the table --------------------------------------------------------------------------------

# table RUN_DIR: medians over runs of the rows in RUN_DIR/table.spec, with ratios.
# table.spec lines (tab-separated): LABEL METRIC REF BETTER AIM
#   REF    a metric measured in the same run, or "-"; the ratio is METRIC/REF per run, then
#          the median of those ratios (so machine load that changes between runs cancels out)
#   BETTER higher|lower (for the value), AIM e.g. ">=0.8" or "<=0.1" on the ratio (on the value
#          itself when REF is "-"), or "-"
#   a line "# text" prints a section heading.
table() {
    local dir=$1
    [ -s "$dir/results.tsv" ] || { echo "no results in $dir/results.tsv" >&2; return 1; }
    [ -f "$dir/env.txt" ] && cat "$dir/env.txt" && echo
    awk -F'\t' '
    function med(arr, n,    i, j, t) {
        for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] + 0 > t + 0; j--) arr[j + 1] = arr[j]; arr[j + 1] = t }
        return (n % 2) ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
    }
    function fmt(x) {
        if (x == "") return "-"
        x += 0
        if (x == int(x) && (x >= 10 || x <= -10 || x == 0)) return sprintf("%d", x)
        if (x >= 100) return sprintf("%.0f", x)
        if (x >= 10) return sprintf("%.1f", x)
        if (x >= 1) return sprintf("%.2f", x)
        return sprintf("%.3f", x)
    }
    # summary of one metric: median, spread (±% of half max-min), n
    function stat(m,    n, r, a, lo, hi, v) {
        n = 0; lo = ""; hi = ""
        for (r = 1; r <= maxrun; r++) if ((r, m) in val && val[r, m] != "fail") {
            v = val[r, m] + 0; a[++n] = v
            if (lo == "" || v < lo) lo = v
            if (hi == "" || v > hi) hi = v
        }
        S_n = n
        if (n == 0) { S_med = ""; S_spread = ""; return }
        S_med = med(a, n)
        S_spread = (n > 1 && S_med + 0 != 0 && hi != lo) ? sprintf("±%d%%", 50 * (hi - lo) / (S_med < 0 ? -S_med : S_med) + 0.5) : ""
    }
    FNR == NR { if ($1 > maxrun) maxrun = $1; val[$1, $2] = $3; next }
    /^#/ { sub(/^# ?/, ""); printf "-- %s\n", $0; next }
    NF >= 2 {
        label = $1; m = $2; ref = ($3 == "" ? "-" : $3); better = $4; aim = ($5 == "" ? "-" : $5)
        stat(m); vm = S_med; vs = S_spread; n = S_n
        rm = ""; ratio = ""; rs = ""; verdict = ""
        if (ref != "-") {
            stat(ref); rm = S_med
            k = 0
            for (r = 1; r <= maxrun; r++)
                if ((r, m) in val && (r, ref) in val && val[r, ref] + 0 != 0 && val[r, m] != "fail" && val[r, ref] != "fail")
                    rr[++k] = (val[r, m] + 0) / (val[r, ref] + 0)
            if (k > 0) {
                lo = rr[1]; hi = rr[1]; for (i = 1; i <= k; i++) { if (rr[i] < lo) lo = rr[i]; if (rr[i] > hi) hi = rr[i] }
                ratio = med(rr, k)
                rs = (k > 1 && hi != lo) ? sprintf(" (%s-%s)", fmt(lo), fmt(hi)) : ""
            }
            delete rr
        }
        if (aim != "-" && ref == "-" && n) ratio_or_value = vm; else ratio_or_value = ratio
        if (aim != "-" && ratio_or_value != "") {
            op = substr(aim, 1, 2); lim = substr(aim, 3) + 0
            verdict = ((op == ">=" && ratio_or_value >= lim) || (op == "<=" && ratio_or_value <= lim)) ? "met" : "MISSED"
            verdict = verdict " (" aim ")"
        }
        printf "%-44s %10s %-6s %10s %8s%-16s %s\n", label, (n ? fmt(vm) : "-"), vs, (ref == "-" ? "" : fmt(rm)),
            (ratio == "" ? "" : fmt(ratio)), rs, verdict
    }
    BEGIN { printf "%-44s %10s %-6s %10s %8s%-16s %s\n", "median of runs", "value", "", "ref", "ratio", "", "aim" }
    ' "$dir/results.tsv" "$dir/table.spec"
    [ -f "$dir/notes.txt" ] && { echo; echo "notes:"; sed 's/^/  /' "$dir/notes.txt"; }
    return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    case "${1:-}" in
        table) table "${2:?usage: bench/lib.sh table RUN_DIR}" ;;
        *) echo "usage: bench/lib.sh table RUN_DIR" >&2; exit 2 ;;
    esac
fi
