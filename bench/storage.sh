#!/usr/bin/env bash
# Storage tiers (issue 3), same Gantry build, same data, same run:
#  (a) warm small blobs (4 KB, 16 KB, 100 KB), wrk -t2 -c64: Gantry with its
#      memory tier (storage.memory, 32 MiB) against Gantry on disk only
#      (storage.memory.maxBytes 0) - ratio memory/disk;
#  (b) S3-tier reads: a fresh replica on the bucket (empty disk, upstream
#      unreachable) reading blobs that only S3 holds, against GETs of the same
#      objects straight from the same S3Proxy (curl with SigV4) - ratio
#      Gantry/direct; first reads (S3 -> client while the disk fills), reads
#      with a 1 MiB disk tier (every read comes from S3 again), and second
#      reads (disk hits) for scale;
#  (c) for scale, the same first read filled from the upstream (Distribution
#      on loopback) instead of S3, against GETs straight from Distribution.
#
#   bench/storage.sh            # 3 runs, medians (~10 min on 2 cores)
#   bench/storage.sh --quick    # 1 short run with small blobs: checks the script (~3 min)
#   bench/storage.sh --help
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
RUNS=3
DURATION=10          # measured wrk seconds
WARMUP=3             # unmeasured wrk seconds before each measured run
JIT_SECONDS=15       # load on each fresh Gantry before anything is measured
CONNS=64
S3_BLOBS=4           # distinct blobs read per S3 measurement
S3_MB=64             # size of each
PORT_BASE=${BENCH_PORT_BASE:-17400}
export GANTRY_JAVA_OPTS=${GANTRY_JAVA_OPTS:-}

usage() {
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    cat <<EOF

Options (defaults in brackets):
  --runs N        repetitions; medians over them [$RUNS]
  --quick         1 run, 3 s wrk runs, 2 S3 blobs of 16 MB
  --duration S    measured wrk seconds [$DURATION]
  --s3-blobs N    blobs per S3 measurement [$S3_BLOBS]
  --s3-mb N       size of each S3 blob in MB [$S3_MB]
Environment: BENCH_PORT_BASE [17400] (ports BASE..BASE+9), GANTRY_JAVA_OPTS,
  JFR=1 (CPU profiles of the measured small-blob runs and of the first reads; diagnostic only),
  OTHER_BENCH_PATTERN [bench/run.sh] (waited for before each run, at most 40 min).
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift ;;
        --quick) RUNS=1; DURATION=3; WARMUP=2; JIT_SECONDS=6; S3_BLOBS=2; S3_MB=16 ;;
        --duration) DURATION=$2; shift ;;
        --s3-blobs) S3_BLOBS=$2; shift ;;
        --s3-mb) S3_MB=$2; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
need_tools java wrk curl docker-registry timeout sha256sum
lib_init storage

UP_PORT=$PORT_BASE
S3_PORT=$((PORT_BASE + 1))
MEM_PORT=$((PORT_BASE + 2))
DISK_PORT=$((PORT_BASE + 3))
WRITER_PORT=$((PORT_BASE + 4))
READER_PORT=$((PORT_BASE + 5))
UPFILL_PORT=$((PORT_BASE + 6))
DEAD_PORT=$((PORT_BASE + 9))   # nothing listens here: the readers' "upstream"
BUCKET=gantry
REPO=bench/storage
SMALL="4k:4096 16k:16384 100k:102400"

build_gantry
env_header "runs $RUNS; (a) wrk -t2 -c$CONNS ${DURATION}s (+${WARMUP}s warm-up, ${JIT_SECONDS}s JIT warm-up per instance)" \
    "(b) $S3_BLOBS blobs x $S3_MB MB per measurement; S3Proxy $(basename "$(s3proxy_jar)") (filesystem, aws-v2-or-v4); $(curl --version | head -1 | cut -d' ' -f1-2)"

# ---- data: random blobs in the upstream (made once; bench/out/storage-data) -----------------

DATA=$OUT/storage-data
mkdir -p "$DATA/blobs"
start_upstream upstream "$UP_PORT" "$DATA/upstream"
declare -A DIGEST=() SIZE=()
make_blob() { # NAME BYTES
    local f=$DATA/blobs/$1
    if [ ! -f "$f" ] || [ "$(stat -c %s "$f")" != "$2" ]; then
        head -c "$2" /dev/urandom > "$f.tmp" && mv "$f.tmp" "$f"
    fi
    DIGEST[$1]=$(push_blob "http://127.0.0.1:$UP_PORT" "$REPO" "$f")
    SIZE[$1]=$2
}
for s in $SMALL; do make_blob "${s%%:*}" "${s#*:}"; done
S3_NAMES=()
for i in $(seq "$S3_BLOBS"); do make_blob "s3-$S3_MB-$i" $((S3_MB * 1000 * 1000)); S3_NAMES+=("s3-$S3_MB-$i"); done
make_blob s3-warmup $((16 * 1000 * 1000))
log "blobs in the upstream: ${!DIGEST[*]}"

blob_url() { echo "http://127.0.0.1:$1/v2/$REPO/blobs/${DIGEST[$2]}"; }

# gantry_conf DIR PORT UPSTREAM_PORT MEMORY DISK_MAX [s3]: a configuration file.
gantry_conf() {
    local dir=$1 port=$2 up=$3 memory=$4 diskmax=$5 s3=${6:-}
    mkdir -p "$dir"
    {
        cat <<EOF
listen: 127.0.0.1:$port
upstreams:
  - name: hub
    url: http://127.0.0.1:$up
    default: true
    connectTimeout: 1s
    retries: 0
storage:
  memory: {maxBytes: $memory}
  disk: {path: $dir/data, maxBytes: $diskmax}
EOF
        [ -n "$s3" ] && cat <<EOF
  s3:
    endpoint: http://127.0.0.1:$S3_PORT
    bucket: $BUCKET
    pathStyle: true
    accessKeyId: $S3_IDENTITY
    secretAccessKey: $S3_CREDENTIAL
EOF
        # Unquoted, YAML reads off as false (and Gantry then refuses the key).
        echo 'prefetch: {mode: "off"}'
    } > "$dir/gantry.yaml"
    echo "$dir/gantry.yaml"
}

# ---- (a) memory tier against disk only --------------------------------------------------------

small_blobs() {
    local order=("$@") name port size
    declare -A PORT=([mem]=$MEM_PORT [disk]=$DISK_PORT)
    start_gantry mem "$MEM_PORT" "$(gantry_conf "$RUN_DIR/$RUN-mem" "$MEM_PORT" "$UP_PORT" 32MiB 20GiB)"
    start_gantry disk "$DISK_PORT" "$(gantry_conf "$RUN_DIR/$RUN-disk" "$DISK_PORT" "$UP_PORT" 0 20GiB)"
    for name in mem disk; do
        for size in $SMALL; do
            size=${size%%:*}
            # Twice: the fill commits to disk (and offers the blob to memory), the second read is a hit.
            curl -sf -o /dev/null "$(blob_url "${PORT[$name]}" "$size")" || die "GET of the $size blob through $name failed"
            curl -sf -o /dev/null "$(blob_url "${PORT[$name]}" "$size")"
        done
        # A fresh JVM compiles its hot paths during its first seconds under load.
        wrk_run "$RUN_DIR/wrk-$RUN-$name-jit.txt" "$(blob_url "${PORT[$name]}" 16k)" "$CONNS" "$JIT_SECONDS" >/dev/null
    done
    for size in $SMALL; do
        size=${size%%:*}
        for name in "${order[@]}"; do
            local url pid h0 h1 rps mbps err p50 p90 p99 p999 cpu
            url=$(blob_url "${PORT[$name]}" "$size")
            pid=${SERVER_PID[$name]}
            wrk_run "$RUN_DIR/wrk-$RUN-$name-$size-warmup.txt" "$url" "$CONNS" "$WARMUP" >/dev/null
            h0=$(gantry_metric "${PORT[$name]}" gantry_tier_reads_total tier=memory result=hit)
            jfr_start "$pid" "$name-$size-$RUN"
            read -r rps mbps err p50 p90 p99 p999 cpu <<< "$(wrk_run "$RUN_DIR/wrk-$RUN-$name-$size.txt" "$url" "$CONNS" "$DURATION" "$pid")"
            jfr_stop "$pid" "$name-$size-$RUN"
            h1=$(gantry_metric "${PORT[$name]}" gantry_tier_reads_total tier=memory result=hit)
            record "a.$name.$size.rps" "$rps"
            record "a.$name.$size.cpu_us" "$cpu"
            record "a.$name.$size.p99_ms" "$p99"
            record "a.$name.$size.errors" "$err"
            # Share of the measured requests the memory tier answered (proves which tier served).
            record "a.$name.$size.memory_hit_pct" "$(awk -v h=$((h1 - h0)) -v r="$rps" -v d="$DURATION" 'BEGIN { printf "%.0f", (r > 0 ? 100 * h / (r * d) : 0) }')"
        done
    done
    stop mem
    stop disk
    rm -rf "$RUN_DIR/$RUN-mem/data" "$RUN_DIR/$RUN-disk/data"
}

# ---- (b) the S3 tier ----------------------------------------------------------------------------

# Fills the bucket once per script run: a writer replica fetches every S3 blob from the upstream and
# uploads it; done when every blob and its repository link are in S3Proxy's directory.
load_bucket() {
    start_s3proxy s3proxy "$S3_PORT" "$RUN_DIR/s3"
    [ "$(s3_curl -o /dev/null -w '%{http_code}' -X PUT "http://127.0.0.1:$S3_PORT/$BUCKET")" = 200 ] || die "cannot create the bucket"
    start_gantry writer "$WRITER_PORT" "$(gantry_conf "$RUN_DIR/writer" "$WRITER_PORT" "$UP_PORT" 0 20GiB s3)"
    local n hex deadline=$((SECONDS + 180))
    for n in s3-warmup "${S3_NAMES[@]}"; do
        curl -sf -o /dev/null "$(blob_url "$WRITER_PORT" "$n")" || die "the writer could not fetch $n"
    done
    for n in s3-warmup "${S3_NAMES[@]}"; do
        hex=${DIGEST[$n]#sha256:}
        until [ "$(stat -c %s "$RUN_DIR/s3/data/$BUCKET/blobs/sha256/$hex" 2>/dev/null)" = "${SIZE[$n]}" ] \
                && find "$RUN_DIR/s3/data/$BUCKET/meta" -path "*_links/sha256/$hex" 2>/dev/null | grep -q .; do
            [ $SECONDS -lt $deadline ] || die "$n never reached S3 (see $RUN_DIR/writer/server.log)"
            sleep 0.5
        done
    done
    stop writer
    rm -rf "$RUN_DIR/writer/data"
    log "bucket loaded: $(du -sh "$RUN_DIR/s3/data/$BUCKET" | cut -f1)"
}

# reads BASE_URL_FN CONCURRENCY LABEL NAMES...: GETs every blob (CONCURRENCY at once); prints
# "MB/s median-ttfb-ms errors" over the wall time of the whole set.
# BASE_URL_FN NAME prints the URL of a blob; a non-200 or short body is an error.
reads() {
    local urlfn=$1 conc=$2 label=$3
    shift 3
    local t0 out=$RUN_DIR/curl-$RUN-$label.txt i=0 n
    : > "$out"
    t0=$(now)
    for n in "$@"; do
        { $urlfn "$n" -o /dev/null -w "%{http_code} %{size_download} %{time_starttransfer} $n\n" >> "$out" || echo "000 0 0 $n" >> "$out"; } &
        i=$((i + 1))
        if [ $((i % conc)) -eq 0 ]; then wait; fi
    done
    wait
    local secs
    secs=$(since "$t0")
    local expect=0
    for n in "$@"; do expect=$((expect + SIZE[$n])); done
    awk -v secs="$secs" -v expect="$expect" '
        { bytes += $2; if ($1 != 200) err++; t[++k] = $3 }
        END {
            for (i = 2; i <= k; i++) { v = t[i]; for (j = i - 1; j >= 1 && t[j] > v; j--) t[j + 1] = t[j]; t[j + 1] = v }
            ttfb = (k % 2) ? t[(k + 1) / 2] : (t[k / 2] + t[k / 2 + 1]) / 2
            if (bytes != expect) err += 1000
            printf "%.1f %.1f %d\n", bytes / secs / 1e6, ttfb * 1000, err }' "$out"
}

# For scale: the same kind of fill from the upstream (Distribution on loopback, no forwarder) into
# a fresh Gantry without S3, against GETs of the same blobs straight from Distribution.
upstream_fill() {
    local mbps ttfb err dir=$RUN_DIR/$RUN-upfill
    start_gantry upfill "$UPFILL_PORT" "$(gantry_conf "$dir" "$UPFILL_PORT" "$UP_PORT" 0 20GiB)"
    curl -sf -o /dev/null "$(blob_url "$UPFILL_PORT" s3-warmup)" || die "upfill could not read the warm-up blob"
    read -r mbps ttfb err <<< "$(reads upfill_get 1 upfill-c1 "${S3_NAMES[@]}")"
    record c.fill_c1.mbps "$mbps"; record c.fill_c1.ttfb_ms "$ttfb"; record c.fill_c1.errors "$err"
    stop upfill
    rm -rf "$dir/data"
    read -r mbps ttfb err <<< "$(reads upstream_get 1 upstream-c1 "${S3_NAMES[@]}")"
    record c.upstream_c1.mbps "$mbps"; record c.upstream_c1.ttfb_ms "$ttfb"; record c.upstream_c1.errors "$err"
}
upfill_get() { curl -s "$(blob_url "$UPFILL_PORT" "$1")" "${@:2}"; }
upstream_get() { curl -s "$(blob_url "$UP_PORT" "$1")" "${@:2}"; }

direct_get() { s3_curl "http://127.0.0.1:$S3_PORT/$BUCKET/blobs/sha256/${DIGEST[$1]#sha256:}" "${@:2}"; }
gantry_get() { curl -s "$(blob_url "$READER_PORT" "$1")" "${@:2}"; }

# A fresh replica on the bucket: empty disk, the upstream unreachable (so S3 must serve), warmed up
# on a blob of its own (also S3-only) so that no measurement includes a cold JVM's first request.
fresh_reader() { # LABEL DISK_MAX
    local dir=$RUN_DIR/$RUN-reader-$1
    start_gantry reader "$READER_PORT" "$(gantry_conf "$dir" "$READER_PORT" "$DEAD_PORT" 0 "$2" s3)"
    gantry_get s3-warmup -f -o /dev/null || die "the reader could not read the warm-up blob from S3 (see $dir/server.log)"
    gantry_get s3-warmup -f -o /dev/null
}

stop_reader() { # LABEL
    local s3hits
    s3hits=$(gantry_metric "$READER_PORT" gantry_tier_reads_total tier=s3 result=hit)
    record "b.$1.s3_reads" "$s3hits"
    record "b.$1.upstream_requests" "$(gantry_metric "$READER_PORT" gantry_upstream_requests_total)"
    stop reader
    rm -rf "$RUN_DIR/$RUN-reader-$1/data"
}

s3_reads() {
    local first=$1 mbps ttfb err
    direct() {
        direct_get s3-warmup -o /dev/null
        read -r mbps ttfb err <<< "$(reads direct_get 1 direct-c1 "${S3_NAMES[@]}")"
        record b.direct_c1.mbps "$mbps"; record b.direct_c1.ttfb_ms "$ttfb"; record b.direct_c1.errors "$err"
        read -r mbps ttfb err <<< "$(reads direct_get 4 direct-c4 "${S3_NAMES[@]}")"
        record b.direct_c4.mbps "$mbps"; record b.direct_c4.errors "$err"
    }
    via_gantry() {
        # First reads, one stream: S3 -> fill (hash, spool to disk) -> client. Then the same blobs
        # again: disk hits.
        fresh_reader first 20GiB
        jfr_start "${SERVER_PID[reader]}" "first-read-$RUN"
        read -r mbps ttfb err <<< "$(reads gantry_get 1 first-c1 "${S3_NAMES[@]}")"
        jfr_stop "${SERVER_PID[reader]}" "first-read-$RUN"
        record b.first_c1.mbps "$mbps"; record b.first_c1.ttfb_ms "$ttfb"; record b.first_c1.errors "$err"
        read -r mbps ttfb err <<< "$(reads gantry_get 1 disk-c1 "${S3_NAMES[@]}")"
        record b.disk_c1.mbps "$mbps"; record b.disk_c1.errors "$err"
        stop_reader first
        # First reads, four streams at once, on another fresh replica.
        fresh_reader first4 20GiB
        read -r mbps ttfb err <<< "$(reads gantry_get 4 first-c4 "${S3_NAMES[@]}")"
        record b.first_c4.mbps "$mbps"; record b.first_c4.errors "$err"
        stop_reader first4
        # A 1 MiB disk tier: each blob is evicted right after its fill commits, so every read,
        # the second included, comes from S3 (s3_reads counts them).
        fresh_reader tiny 1MiB
        sleep 1
        read -r mbps ttfb err <<< "$(reads gantry_get 1 tiny-1-c1 "${S3_NAMES[@]}")"
        read -r mbps ttfb err <<< "$(reads gantry_get 1 tiny-2-c1 "${S3_NAMES[@]}")"
        record b.tiny_c1.mbps "$mbps"; record b.tiny_c1.ttfb_ms "$ttfb"; record b.tiny_c1.errors "$err"
        stop_reader tiny
    }
    if [ "$first" = direct ]; then direct; via_gantry; else via_gantry; direct; fi
}

cat > "$RUN_DIR/table.spec" <<'EOF'
# (a) warm small blobs, wrk -t2 -c64: memory tier (value) vs disk only (ref); ratio memory/disk
4 KB blob req/s	a.mem.4k.rps	a.disk.4k.rps	higher	-
16 KB blob req/s	a.mem.16k.rps	a.disk.16k.rps	higher	-
100 KB blob req/s	a.mem.100k.rps	a.disk.100k.rps	higher	-
4 KB: server CPU µs per request	a.mem.4k.cpu_us	a.disk.4k.cpu_us	lower	-
16 KB: server CPU µs per request	a.mem.16k.cpu_us	a.disk.16k.cpu_us	lower	-
100 KB: server CPU µs per request	a.mem.100k.cpu_us	a.disk.100k.cpu_us	lower	-
4 KB p99 ms	a.mem.4k.p99_ms	a.disk.4k.p99_ms	lower	-
16 KB p99 ms	a.mem.16k.p99_ms	a.disk.16k.p99_ms	lower	-
100 KB p99 ms	a.mem.100k.p99_ms	a.disk.100k.p99_ms	lower	-
memory-tier share of requests %, mem 4 KB	a.mem.4k.memory_hit_pct	-	higher	-
memory-tier share of requests %, mem 100 KB	a.mem.100k.memory_hit_pct	-	higher	-
memory-tier share of requests %, disk 4 KB	a.disk.4k.memory_hit_pct	-	lower	-
errors (mem, 4/16/100 KB)	a.mem.4k.errors	-	lower	-
errors (disk, 4 KB)	a.disk.4k.errors	-	lower	-
# (b) S3 tier, MB/s: Gantry replica with an empty disk (value) vs GET from S3Proxy (ref); ratio Gantry/direct
first read, 1 stream	b.first_c1.mbps	b.direct_c1.mbps	higher	-
first read, 4 streams	b.first_c4.mbps	b.direct_c4.mbps	higher	-
1 MiB disk tier (every read from S3), 1 stream	b.tiny_c1.mbps	b.direct_c1.mbps	higher	-
second read (disk hit), 1 stream	b.disk_c1.mbps	b.direct_c1.mbps	higher	-
time to first byte ms, first read	b.first_c1.ttfb_ms	b.direct_c1.ttfb_ms	lower	-
time to first byte ms, 1 MiB disk tier	b.tiny_c1.ttfb_ms	b.direct_c1.ttfb_ms	lower	-
S3 fills, first-read replica (= blobs + warm-up)	b.first.s3_reads	-	higher	-
S3 fills, 1 MiB-disk replica (= 2 x blobs + warm-up)	b.tiny.s3_reads	-	higher	-
upstream requests of the readers	b.first.upstream_requests	-	lower	-
errors: first read, 1 MiB disk, direct	b.first_c1.errors	-	lower	-
# (c) for scale: a fill from the upstream (Distribution, loopback, no forwarder), 1 stream, MB/s: Gantry (value) vs GET from Distribution (ref)
first read through Gantry, from the upstream	c.fill_c1.mbps	c.upstream_c1.mbps	higher	-
time to first byte ms	c.fill_c1.ttfb_ms	c.upstream_c1.ttfb_ms	lower	-
EOF

load_bucket
for RUN in $(seq "$RUNS"); do
    wait_other_bench
    log "run $RUN/$RUNS"
    if [ $((RUN % 2)) -eq 1 ]; then small_blobs mem disk; s3_reads direct; else small_blobs disk mem; s3_reads gantry; fi
    upstream_fill
    check_overlap
done

table "$RUN_DIR" | tee "$RUN_DIR/summary.txt"
log "results: $RUN_DIR"
