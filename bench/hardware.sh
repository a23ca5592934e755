#!/usr/bin/env bash
# The hardware endpoint (issue 6), GET /v2/<name>/_gantry/hardware/<reference>:
#  (a) warm: latency (p50/p90/p99) and req/s for an image Gantry has already
#      scanned, on loopback, with wrk at 1 connection (what one client sees)
#      and at 64 (throughput), next to two references measured in the same
#      run: the manifest GET of the same image from the same Gantry, and nginx
#      serving the same hardware document as a static file;
#  (b) cold: the time until a never-seen image's document is answered (200),
#      polling through the 202 + Retry-After answers, with the upstream behind
#      Forwarder.java (+50 ms per request, 100 Mbit/s), against the time a
#      `skopeo copy` of that same image through a fresh Gantry takes.
# The image is made of real ELF files of this machine (libc and friends, a
# slice of /usr/bin, the JVM's libjvm.so), so the scanner has real work.
#
#   bench/hardware.sh            # 3 runs, medians (~10 min on 2 cores)
#   bench/hardware.sh --quick    # 1 short run: checks the script (~3 min)
#   bench/hardware.sh --help
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
RUNS=3
DURATION=10
WARMUP=3
JIT_SECONDS=15
CONNS=64
RTT_MS=50
MBIT=100
BIN_MB=48            # uncompressed bytes of /usr/bin ELF files in the image's second layer
PORT_BASE=${BENCH_PORT_BASE:-17420}
export GANTRY_JAVA_OPTS=${GANTRY_JAVA_OPTS:-}

usage() {
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    cat <<EOF

Options (defaults in brackets):
  --runs N        repetitions; medians over them [$RUNS]
  --quick         1 run, 3 s wrk runs
  --duration S    measured wrk seconds [$DURATION]
  --rtt-ms N      round trip the forwarder adds [$RTT_MS]
  --mbit N        the forwarder's bandwidth cap [$MBIT]
Environment: BENCH_PORT_BASE [17420] (ports BASE..BASE+9), GANTRY_JAVA_OPTS,
  JFR=1 (CPU profiles of Gantry during the measured wrk runs; diagnostic only),
  OTHER_BENCH_PATTERN [bench/run.sh] (waited for before each run, at most 40 min).
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift ;;
        --quick) RUNS=1; DURATION=3; WARMUP=2; JIT_SECONDS=6 ;;
        --duration) DURATION=$2; shift ;;
        --rtt-ms) RTT_MS=$2; shift ;;
        --mbit) MBIT=$2; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
need_tools java wrk nginx curl docker-registry skopeo timeout sha256sum tar gzip file
lib_init hardware

UP_PORT=$PORT_BASE
FWD_PORT=$((PORT_BASE + 1))
CTL_PORT=$((PORT_BASE + 2))
WARM_PORT=$((PORT_BASE + 3))
NGINX_PORT=$((PORT_BASE + 4))
COLD_PORT=$((PORT_BASE + 5))
PULL_PORT=$((PORT_BASE + 6))
REPO=bench/elf
WREPO=bench/elf-warmup
OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
OCI_CONFIG=application/vnd.oci.image.config.v1+json
OCI_LAYER=application/vnd.oci.image.layer.v1.tar+gzip

build_gantry
env_header "runs $RUNS; (a) wrk ${DURATION}s (+${WARMUP}s warm-up; ${JIT_SECONDS}s JIT warm-up per instance) at -c1 -t1 and -c$CONNS -t2" \
    "(b) hub: +${RTT_MS} ms per request, ${MBIT} Mbit/s (Forwarder.java); $(nginx -v 2>&1); $(skopeo --version)"

# ---- the image: real ELF files of this machine (made and pushed once) --------------------------

DATA=$OUT/hardware-data
mkdir -p "$DATA/layers"
start_upstream upstream "$UP_PORT" "$DATA/upstream"

# layer NAME [PATHS...]: a reproducible gzip'd tar of absolute paths (symlinks followed), made once;
# prints "digest diff_id size".
layer() {
    local name=$1 tarf=$DATA/layers/$1.tar
    shift
    if [ ! -f "$tarf.gz" ]; then
        [ $# -gt 0 ] || die "layer $name was never made"
        printf '%s\n' "$@" | sed 's|^/||' | tar --sort=name --mtime=@1600000000 --owner=0 --group=0 --numeric-owner \
            -h -C / -cf "$tarf" -T -
        sha256sum "$tarf" | cut -d' ' -f1 > "$tarf.diffid"
        gzip -n -6 -c "$tarf" > "$tarf.gz.tmp" && mv "$tarf.gz.tmp" "$tarf.gz"
        rm -f "$tarf"
    fi
    echo "sha256:$(sha256sum "$tarf.gz" | cut -d' ' -f1) sha256:$(cat "$tarf.diffid") $(stat -c %s "$tarf.gz")"
}

# image REPO TAG ENTRYPOINT LAYERNAME...: config and manifest, pushed with the layers to the
# upstream; prints the manifest's digest. The manifest is kept as $DATA/<repo>/<tag>.json.
image() {
    local repo=$1 tag=$2 entry=$3 reg="http://127.0.0.1:$UP_PORT" l d diff size layers="" diffs="" dir=$DATA/$1
    shift 3
    mkdir -p "$dir"
    for l in "$@"; do
        read -r d diff size <<< "$(layer "$l")"
        [ "$(push_blob "$reg" "$repo" "$DATA/layers/$l.tar.gz")" = "$d" ] || die "pushed $l under another digest"
        layers="$layers${layers:+,}{\"mediaType\":\"$OCI_LAYER\",\"digest\":\"$d\",\"size\":$size}"
        diffs="$diffs${diffs:+,}\"$diff\""
    done
    printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["%s"],"Env":["PATH=/usr/bin:/bin"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
        "$entry" "$diffs" > "$dir/$tag.config.json"
    d=$(push_blob "$reg" "$repo" "$dir/$tag.config.json")
    printf '{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":%s},"layers":[%s]}' \
        "$OCI_MANIFEST" "$OCI_CONFIG" "$d" "$(stat -c %s "$dir/$tag.config.json")" "$layers" > "$dir/$tag.json"
    push_manifest "$reg" "$repo" "$tag" "$dir/$tag.json" "$OCI_MANIFEST"
}

JAVA_BIN=$(readlink -f "$(command -v java)")
JVM_LIB=$(dirname "$(dirname "$JAVA_BIN")")/lib/server/libjvm.so
if [ ! -f "$DATA/layers/wsmall.tar.gz" ]; then
    log "making the image's layers from this machine's files (once, into $DATA)"
    # The ELF files of /usr/bin in name order, up to BIN_MB: the same slice on every run here.
    find /usr/bin -maxdepth 1 -type f -size +0 | sort | while read -r f; do
        case "$(file -b "$f")" in ELF*) echo "$(stat -c %s "$f") $f" ;; esac
    done | awk -v max=$((BIN_MB * 1000 * 1000)) 'full || t + $1 > max { full = 1; next } { t += $1; print $2 }' > "$DATA/bin.list"
    layer base /usr/lib/x86_64-linux-gnu/libc.so.6 /usr/lib/x86_64-linux-gnu/libm.so.6 \
        /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1 /usr/lib/x86_64-linux-gnu/libz.so.1 \
        /usr/lib/x86_64-linux-gnu/libssl.so.3 /usr/lib/x86_64-linux-gnu/libcrypto.so.3 /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 >/dev/null
    mapfile -t BIN < "$DATA/bin.list"
    layer bin "${BIN[@]}" >/dev/null
    [ -f "$JVM_LIB" ] || die "no libjvm.so at $JVM_LIB"
    layer jvm "$JVM_LIB" "$JAVA_BIN" >/dev/null
    # The warm-up image: two small programs, so that fresh JVMs have run the pull and scan paths once.
    layer wsmall "$(readlink -f "$(command -v curl)")" "$(readlink -f "$(command -v gzip)")" >/dev/null
fi
IMAGE_DIGEST=$(image "$REPO" 1 "$JAVA_BIN" base bin jvm)
image "$WREPO" 1 /usr/bin/curl wsmall >/dev/null
IMAGE_MB=$(cat "$DATA"/layers/{base,bin,jvm}.tar.gz | wc -c | awk '{ printf "%.1f", $1 / 1e6 }')
log "image $REPO:1 = $IMAGE_DIGEST: 3 layers, $IMAGE_MB MB compressed ($(wc -l < "$DATA/bin.list") programs of /usr/bin; libc & co.; libjvm.so)"
echo "image $REPO:1: 3 layers, $IMAGE_MB MB compressed ($(wc -l < "$DATA/bin.list") ELF programs of /usr/bin; libc, libstdc++, libssl, libcrypto; libjvm.so)" >> "$RUN_DIR/env.txt"

start_forwarder forwarder "$FWD_PORT" "$UP_PORT" "$CTL_PORT" "$RTT_MS" "$MBIT"
fwd() { curl -sf --max-time 10 "http://127.0.0.1:$CTL_PORT/$1"; }
hub_like() { fwd "set?rtt-ms=$RTT_MS&mbit=$MBIT" >/dev/null; }
fast_link() { fwd "set?rtt-ms=0&mbit=0" >/dev/null; }
upstream_gets() { fwd log | awk '$3 == "GET" && $4 ~ /\/blobs\// { n++ } END { print n + 0 }'; }

gantry_conf() { # DIR PORT
    mkdir -p "$1"
    printf 'listen: 127.0.0.1:%s\nupstreams:\n  - name: hub\n    url: http://127.0.0.1:%s\n    default: true\nstorage:\n  disk: {path: %s/data}\n' \
        "$2" "$FWD_PORT" "$1" > "$1/gantry.yaml"
    echo "$1/gantry.yaml"
}

hw_url() { echo "http://127.0.0.1:$1/v2/$2/_gantry/hardware/$3"; }

# ask_until_200 URL MODE: GETs the document until it is answered; MODE "now" asks again at once
# after a 202 (Gantry already held each request for its wait budget), "retry-after" sleeps what
# the 202 said first, as a polite client does. Prints "seconds requests".
ask_until_200() {
    local url=$1 mode=$2 t0 polls=0 code ra hdr=$RUN_DIR/ask-headers.txt
    t0=$(now)
    while :; do
        polls=$((polls + 1))
        code=$(curl -s -D "$hdr" -o "$RUN_DIR/ask-body.json" -w '%{http_code}' --max-time 120 "$url" || echo 000)
        [ "$code" = 200 ] && break
        [ "$code" = 202 ] || die "hardware endpoint answered $code: $(head -c 300 "$RUN_DIR/ask-body.json")"
        [ $polls -lt 200 ] || die "no document after 200 requests"
        if [ "$mode" = retry-after ]; then
            ra=$(tr -d '\r' < "$hdr" | awk 'tolower($1) == "retry-after:" {print $2}')
            sleep "${ra:-1}"
        fi
    done
    echo "$(since "$t0") $polls"
}

# A fresh Gantry that has already pulled and described the (unrelated) warm-up image over a fast
# link, so that no cold figure includes a cold JVM's class loading.
fresh_gantry() { # NAME PORT
    local dir=$RUN_DIR/$RUN-$1 dest=$RUN_DIR/$RUN-$1-warm
    start_gantry "$1" "$2" "$(gantry_conf "$dir" "$2")"
    fast_link
    skopeo_pull "$2" "$WREPO:1" "$dest" || die "warm-up pull through $1 failed: $(tail -3 "$dest.log")"
    rm -rf "$dest" "$dest.log"
    ask_until_200 "$(hw_url "$2" "$WREPO" 1)" now >/dev/null
    hub_like
}

# ---- (b) never seen: time to the document, against a pull -----------------------------------------

cold_by_endpoint() { # LABEL MODE
    local secs polls
    fresh_gantry cold "$COLD_PORT"
    fwd reset >/dev/null
    read -r secs polls <<< "$(ask_until_200 "$(hw_url "$COLD_PORT" "$REPO" 1)" "$2")"
    record "b.$1_s" "$secs"; record "b.$1_polls" "$polls"; record "b.$1_upstream_blob_gets" "$(upstream_gets)"
    cp "$RUN_DIR/ask-body.json" "$RUN_DIR/document.json"
    stop cold
    rm -rf "$RUN_DIR/$RUN-cold"
}

cold_by_pull() {
    local t0 dest=$RUN_DIR/$RUN-pull-dest
    fresh_gantry pull "$PULL_PORT"
    fwd reset >/dev/null
    t0=$(now)
    skopeo_pull "$PULL_PORT" "$REPO:1" "$dest" || die "pull failed: $(tail -3 "$dest.log")"
    record b.pull_s "$(since "$t0")"
    record b.pull_upstream_blob_gets "$(upstream_gets)"
    rm -rf "$dest" "$dest.log"
    stop pull
    rm -rf "$RUN_DIR/$RUN-pull"
}

cold() {
    if [ "$1" = endpoint ]; then
        cold_by_endpoint ask_now now; cold_by_pull; cold_by_endpoint ask_retry_after retry-after
    else
        cold_by_pull; cold_by_endpoint ask_retry_after retry-after; cold_by_endpoint ask_now now
    fi
}

# ---- (a) already scanned: latency and req/s, with references ---------------------------------------

warm() {
    local order=("$@") name url conns rps mbps err p50 p90 p99 p999 cpu
    local dir=$RUN_DIR/$RUN-nginx static=$RUN_DIR/$RUN-nginx/static accept="Accept: $OCI_MANIFEST"
    start_gantry warm "$WARM_PORT" "$(gantry_conf "$RUN_DIR/$RUN-warm" "$WARM_PORT")"
    fast_link
    ask_until_200 "$(hw_url "$WARM_PORT" "$REPO" "$IMAGE_DIGEST")" now >/dev/null
    hub_like
    # nginx serves the very same document bytes (and the manifest) as static files.
    mkdir -p "$static/v2/$REPO/_gantry/hardware" "$static/v2/$REPO/manifests" "$dir/tmp"
    curl -sf -o "$static/v2/$REPO/_gantry/hardware/$IMAGE_DIGEST" "$(hw_url "$WARM_PORT" "$REPO" "$IMAGE_DIGEST")"
    cp "$DATA/$REPO/1.json" "$static/v2/$REPO/manifests/$IMAGE_DIGEST"
    record a.document_bytes "$(stat -c %s "$static/v2/$REPO/_gantry/hardware/$IMAGE_DIGEST")"
    record a.manifest_bytes "$(stat -c %s "$DATA/$REPO/1.json")"
    sed -e "s|@PORT@|$NGINX_PORT|" -e "s|@DIR@|$dir|" -e "s|@STATIC@|$static|" -e "s|@WORKERS@|$(nproc)|" \
        "$HERE/conf/nginx-json.conf" > "$dir/nginx.conf"
    need_port "$NGINX_PORT"
    start nginx "$dir/server.log" nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;'
    wait_http "http://127.0.0.1:$NGINX_PORT/v2/" 30 nginx

    declare -A URL=([hw]=$(hw_url "$WARM_PORT" "$REPO" "$IMAGE_DIGEST")
                    [hwtag]=$(hw_url "$WARM_PORT" "$REPO" 1)
                    [manifest]=http://127.0.0.1:$WARM_PORT/v2/$REPO/manifests/$IMAGE_DIGEST
                    [nginx]=http://127.0.0.1:$NGINX_PORT/v2/$REPO/_gantry/hardware/$IMAGE_DIGEST)
    declare -A PID=([hw]=${SERVER_PID[warm]} [hwtag]=${SERVER_PID[warm]} [manifest]=${SERVER_PID[warm]} [nginx]=${SERVER_PID[nginx]})
    # A fresh JVM compiles its hot paths during its first seconds under load.
    wrk_run "$RUN_DIR/wrk-$RUN-jit-hw.txt" "${URL[hw]}" "$CONNS" "$JIT_SECONDS" >/dev/null
    wrk_run "$RUN_DIR/wrk-$RUN-jit-manifest.txt" "${URL[manifest]}" "$CONNS" 5 "" -H "$accept" >/dev/null
    wrk_run "$RUN_DIR/wrk-$RUN-jit-nginx.txt" "${URL[nginx]}" "$CONNS" 5 >/dev/null
    for conns in 1 "$CONNS"; do
        for name in "${order[@]}"; do
            url=${URL[$name]}
            wrk_run "$RUN_DIR/wrk-$RUN-$name-c$conns-warmup.txt" "$url" "$conns" "$WARMUP" "" -H "$accept" >/dev/null
            [ "$name" = nginx ] || jfr_start "${PID[$name]}" "$name-c$conns-$RUN"
            read -r rps mbps err p50 p90 p99 p999 cpu <<< "$(wrk_run "$RUN_DIR/wrk-$RUN-$name-c$conns.txt" "$url" "$conns" "$DURATION" "${PID[$name]}" -H "$accept")"
            [ "$name" = nginx ] || jfr_stop "${PID[$name]}" "$name-c$conns-$RUN"
            record "a.$name.c$conns.rps" "$rps"; record "a.$name.c$conns.p50_ms" "$p50"; record "a.$name.c$conns.p90_ms" "$p90"
            record "a.$name.c$conns.p99_ms" "$p99"; record "a.$name.c$conns.p999_ms" "$p999"
            record "a.$name.c$conns.errors" "$err"; record "a.$name.c$conns.cpu_us" "$cpu"
        done
    done
    stop warm
    stop nginx
    rm -rf "$RUN_DIR/$RUN-warm/data"
}

cat > "$RUN_DIR/table.spec" <<'SPEC'
# (a) already scanned, loopback: the hardware document by digest (value) vs a reference (ref)
1 connection: p50 ms, hardware endpoint	a.hw.c1.p50_ms	-	lower	<=2
1 connection: p50 ms, vs manifest GET	a.hw.c1.p50_ms	a.manifest.c1.p50_ms	lower	-
1 connection: p50 ms, vs nginx static file	a.hw.c1.p50_ms	a.nginx.c1.p50_ms	lower	-
1 connection: p99 ms, vs manifest GET	a.hw.c1.p99_ms	a.manifest.c1.p99_ms	lower	-
1 connection: p99 ms, vs nginx static file	a.hw.c1.p99_ms	a.nginx.c1.p99_ms	lower	-
1 connection: req/s, vs manifest GET	a.hw.c1.rps	a.manifest.c1.rps	higher	-
1 connection: req/s, vs nginx static file	a.hw.c1.rps	a.nginx.c1.rps	higher	-
1 connection: p50 ms, by tag vs by digest	a.hwtag.c1.p50_ms	a.hw.c1.p50_ms	lower	-
64 connections: req/s, vs manifest GET	a.hw.c64.rps	a.manifest.c64.rps	higher	-
64 connections: req/s, vs nginx static file	a.hw.c64.rps	a.nginx.c64.rps	higher	-
64 connections: p50 ms, vs manifest GET	a.hw.c64.p50_ms	a.manifest.c64.p50_ms	lower	-
64 connections: p99 ms, vs manifest GET	a.hw.c64.p99_ms	a.manifest.c64.p99_ms	lower	-
64 connections: p99 ms, vs nginx static file	a.hw.c64.p99_ms	a.nginx.c64.p99_ms	lower	-
64 connections: server CPU µs/request vs manifest	a.hw.c64.cpu_us	a.manifest.c64.cpu_us	lower	-
64 connections: req/s, by tag vs by digest	a.hwtag.c64.rps	a.hw.c64.rps	higher	-
errors, hardware endpoint, 1 connection	a.hw.c1.errors	-	lower	-
errors, hardware endpoint, 64 connections	a.hw.c64.errors	-	lower	-
document bytes (vs manifest bytes)	a.document_bytes	a.manifest_bytes	lower	-
# (b) never seen, hub at +50 ms per request and 100 Mbit/s: seconds to the document (value) vs a skopeo pull (ref)
document, asking again at once after each 202	b.ask_now_s	b.pull_s	lower	-
document, sleeping Retry-After between asks	b.ask_retry_after_s	b.pull_s	lower	-
skopeo copy through a fresh Gantry, seconds	b.pull_s	-	lower	-
requests until 200, asking at once	b.ask_now_polls	-	lower	-
requests until 200, Retry-After	b.ask_retry_after_polls	-	lower	-
upstream blob GETs: document vs pull	b.ask_now_upstream_blob_gets	b.pull_upstream_blob_gets	lower	-
SPEC

for RUN in $(seq "$RUNS"); do
    wait_other_bench
    log "run $RUN/$RUNS"
    if [ $((RUN % 2)) -eq 1 ]; then
        warm hw hwtag manifest nginx; cold endpoint
    else
        warm nginx manifest hwtag hw; cold pull
    fi
    check_overlap
done

table "$RUN_DIR" | tee "$RUN_DIR/summary.txt"
log "results: $RUN_DIR"
