#!/usr/bin/env bash
# Issue 16's acceptance harness: several Gantry replicas as one mirror.
#
# REPLICAS (3) processes of the built jar (bin/gantry, own port and data
# directory each) on one S3Proxy bucket, nginx round robin without affinity
# in front, the upstream a Distribution registry behind Forwarder.java
# (+RTT_MS per request, MBIT shared: a remote hub; with HUB_BEARER=1, the
# default, it challenges like Docker Hub: 401 + WWW-Authenticate: Bearer, its
# own /token endpoint, tokens per repository scope). Auth is on everywhere
# (htpasswd + one shared token key, auth.tokenKeys; anonymous pull allowed),
# for the single-replica reference too. Per run:
#  a) 8 (PULLS) concurrent cold `skopeo copy` of ImageGen's 20-layer image
#     through the balancer: upstream blob GETs vs distinct blobs, manifest
#     GETs per manifest, bytes from the upstream, wall time, CPU seconds per
#     process (Gantry's by kind of thread in the log); the reference is the
#     same through ONE replica (its own fresh bucket), same run, and again
#     through ONE replica behind the same nginx configuration. All are first
#     warmed by rounds of cold pulls of other images: WARM_PULLS for one replica,
#     FLEET_WARM_PULLS for the fleet.
#  b) through the balancer: anonymous pulls, logged-in pulls, skopeo pushes
#     and curl chunked pushes (POST, 3 PATCHes, PUT: each request may reach
#     another replica), N (AUTH_N) each: successes / N.
#  c) the hub answers one request 429 with Retry-After RETRY_AFTER s
#     (Forwarder /fail429); then for that long uncached manifests and blobs
#     are asked through the balancer: upstream requests the hub saw meanwhile.
#  d) a replica restarted (new pod: empty disk, same bucket) while
#     WarmupProbe.java polls /readyz and then loads a ~1 MiB hot layer: time
#     from ready to 90% of steady throughput (bench/warmup.sh's probe); and
#     the same probe first against a replica serving all along (the control).
#  e) a new fleet on a fresh bucket; PULLS cold pulls through the balancer,
#     kill -9 of one replica KILL_AFTER s in; each pull retried (up to 3
#     tries): pulls that succeed, after a retry; upstream blob GETs.
#
#   bench/fleet.sh                 # RUNS=3, medians (~15 min on 2 cores)
#   RUNS=1 bench/fleet.sh          # one run: checks the harness (~5 min)
# Environment knobs (defaults in brackets): RUNS [3], REPLICAS [3],
#   PULLS [8], RTT_MS [50], MBIT [400] (= 50 MB/s), AUTH_N [3],
#   RETRY_AFTER [6], KILL_AFTER [5], PROBE_SECONDS [10], HUB_BEARER [1], WARM_PULLS [3]
#   (0-9: rounds of PULLS cold pulls of bench/warmup:2..10, bench/pull:1's shape, over the
#   hub-like link, after one of bench/warmup:1, before a) and e), on every cache measured),
#   FLEET_WARM_PULLS [WARM_PULLS] (the same for a)'s fleet; through the balancer each replica
#   gets a share: WARM_PULLS x REPLICAS gives each as many requests as the single one),
#   WARM_UP (server.warmUp of every replica; unset: the default),
#   BENCH_PORT_BASE [17460] (ports BASE..BASE+19), GANTRY_JAVA_OPTS, KEEP=1
#   (keep the S3 bucket directory at the end), S3_LOG=1 (an nginx in front of S3Proxy logs
#   every S3 request; a) then records them by
#   method and kind of key: where a fleet's extra S3 traffic goes), PHASES [abcde] (which of the
#   phases run, e.g. PHASES=ae for the cold pulls and the kill only).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-3}
REPLICAS=${REPLICAS:-3}
PULLS=${PULLS:-8}
RTT_MS=${RTT_MS:-50}
MBIT=${MBIT:-400}
AUTH_N=${AUTH_N:-3}
RETRY_AFTER=${RETRY_AFTER:-6}
KILL_AFTER=${KILL_AFTER:-5}
WARM_PULLS=${WARM_PULLS:-3}
# A fleet's replicas each see a third of the warm-up through the balancer; WARM_PULLS x REPLICAS
# rounds give each as many requests as the single replica's (at most 9: bench/warmup:2..10).
FLEET_WARM_PULLS=${FLEET_WARM_PULLS:-$WARM_PULLS}
PROBE_SECONDS=${PROBE_SECONDS:-10}
HUB_BEARER=${HUB_BEARER:-1}
PHASES=${PHASES:-abcde}
PORT_BASE=${BENCH_PORT_BASE:-17460}
export GANTRY_JAVA_OPTS=${GANTRY_JAVA_OPTS:-}
case "${1:-}" in -h|--help) sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
need_tools java curl docker-registry skopeo nginx openssl timeout
lib_init fleet

UP_PORT=$PORT_BASE
FWD_PORT=$((PORT_BASE + 1))
CTL_PORT=$((PORT_BASE + 2))
S3_PORT=$((PORT_BASE + 3))
LB_PORT=$((PORT_BASE + 4))
SINGLE_PORT=$((PORT_BASE + 5))
LB1_PORT=$((PORT_BASE + 6))
replica_port() { echo $((PORT_BASE + 10 + $1)); }
LB=127.0.0.1:$LB_PORT
SKOPEO_TIMEOUT=300

build_gantry
env_header "runs $RUNS; $REPLICAS replicas on one S3Proxy bucket behind nginx round robin (no affinity); hub: +${RTT_MS} ms per request, ${MBIT} Mbit/s shared (Forwarder.java); $PULLS concurrent pulls; auth on (htpasswd + shared auth.tokenKeys); warm-up rounds: $WARM_PULLS per single replica, $FLEET_WARM_PULLS for the fleet" \
    "$(skopeo --version); $(nginx -v 2>&1)"

# ---- data, upstream, forwarder, S3 ------------------------------------------------------------

DATA=$OUT/fleet-data
start_upstream upstream "$UP_PORT" "$DATA/upstream"
if ! grep -qP '^layer\tbench/warmup\twarmup10-19\t' "$DATA/gen/images.tsv" 2>/dev/null; then
    log "generating and pushing ImageGen's images into $DATA (once)"
    java "$HERE/ImageGen.java" --registry "http://127.0.0.1:$UP_PORT" --out "$DATA/gen" --big-mb 4 >> "$RUN_DIR/bench.log" 2>&1
fi
IMAGES=$DATA/gen/images.tsv
# bench/blobs:1 (three layers, never pulled before c) is what c) asks for during Retry-After.
mapfile -t C_BLOBS < <(awk -F'\t' '$2 == "bench/blobs" && $1 != "manifest" {print $4}' "$IMAGES")
# d)'s hot blob: the bench/pull layer closest to 1 MiB.
read -r HOT_DIGEST HOT_SIZE <<< "$(awk -F'\t' '$1 == "layer" && $2 == "bench/pull" { d = $5 - 1048576; if (d < 0) d = -d
    if (best == "" || d < best) { best = d; dig = $4; sz = $5 } } END { print dig, sz }' "$IMAGES")"
echo "image bench/pull:1: $(awk -F'\t' '$2 == "bench/pull" && $1 == "layer"' "$IMAGES" | wc -l) layers, \
$(awk -F'\t' '$2 == "bench/pull" && $1 != "manifest" {s += $5} END {printf "%.1f", s / 1e6}' "$IMAGES") MB; hot blob $HOT_SIZE bytes" \
    | tee -a "$RUN_DIR/env.txt"

bearer_flag=()
[ "$HUB_BEARER" = 1 ] && bearer_flag=(--bearer)
start_forwarder forwarder "$FWD_PORT" "$UP_PORT" "$CTL_PORT" "$RTT_MS" "$MBIT" "${bearer_flag[@]}"
fwd() { curl -sf --max-time 10 "http://127.0.0.1:$CTL_PORT/$1"; }
hub_like() { fwd "set?rtt-ms=$RTT_MS&mbit=$MBIT" >/dev/null; }
fast_link() { fwd "set?rtt-ms=0&mbit=0" >/dev/null; }
# "blob_gets distinct_blobs max_per_blob manifest_gets distinct_manifests manifest_heads" since the last reset
hub_counts() {
    fwd log | awk '$3 == "GET" && $4 ~ /\/blobs\/sha256:/ { n++; split($4, a, "/blobs/"); c[a[2]]++ }
        $3 == "GET" && $4 ~ /\/manifests\// { mg++; split($4, b, "/manifests/"); mc[b[2]]++ }
        $3 == "HEAD" && $4 ~ /\/manifests\// { mh++ }
        END { for (k in c) { d++; if (c[k] > m) m = c[k] }; for (k in mc) dm++
              printf "%d %d %d %d %d %d\n", n, d, m, mg, dm, mh }'
}
# "token_gets challenges" since the last reset (the forwarder answers both itself with --bearer)
hub_auth_counts() { fwd log | awk '$3 == "GET" && $4 ~ /^\/token/ { t++ } $3 == "401" { c++ } END { printf "%d %d\n", t, c }'; }
hub_bytes() { fwd stats | awk '$1 == "bytes_down" {print $2}'; }

S3_DIR=$RUN_DIR/s3
start_s3proxy s3proxy "$S3_PORT" "$S3_DIR"
new_bucket() { s3_curl -f -X PUT "http://127.0.0.1:$S3_PORT/$1" -o /dev/null || die "cannot create bucket $1"; }
# With S3_LOG=1 the replicas reach S3Proxy through an nginx that logs each request.
S3_ENDPOINT_PORT=$S3_PORT
if [ "${S3_LOG:-0}" = 1 ]; then
    S3_ENDPOINT_PORT=$((PORT_BASE + 7))
    mkdir -p "$RUN_DIR/nginx-s3/tmp"
    cat > "$RUN_DIR/nginx-s3/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $RUN_DIR/nginx-s3/nginx.pid;
error_log $RUN_DIR/nginx-s3/error.log warn;
events { worker_connections 1024; }
http {
    log_format s3 '\$msec \$request_method \$uri \$status \$request_length \$bytes_sent';
    access_log $RUN_DIR/nginx-s3/access.log s3;
    client_body_temp_path $RUN_DIR/nginx-s3/tmp;
    proxy_temp_path $RUN_DIR/nginx-s3/tmp;
    upstream s3 { server 127.0.0.1:$S3_PORT; keepalive 64; }
    server {
        listen 127.0.0.1:$S3_ENDPOINT_PORT;
        client_max_body_size 0;
        location / {
            proxy_pass http://s3;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$http_host;
            proxy_buffering off;
            proxy_request_buffering off;
        }
    }
}
EOF
    start nginx-s3 "$RUN_DIR/nginx-s3/nginx.log" nginx -c "$RUN_DIR/nginx-s3/nginx.conf" -p "$RUN_DIR/nginx-s3"
fi
# s3_log_lines: lines in the S3 request log so far; s3_requests_since LINES: the requests logged after
# that many lines, as "count method kind status" (kind: the key's first path elements after the
# bucket, digests and ids folded), most first.
s3_log_lines() { if [ "${S3_LOG:-0}" = 1 ]; then wc -l < "$RUN_DIR/nginx-s3/access.log"; else echo 0; fi; }
s3_requests_since() {
    [ "${S3_LOG:-0}" = 1 ] || return 0
    tail -n +"$(($1 + 1))" "$RUN_DIR/nginx-s3/access.log" | awk '{ n = split($3, p, "/"); k = (n > 2 ? p[3] : "") (n > 3 ? "/" p[4] : "") (n > 4 ? "/" p[5] : "")
        gsub(/sha256[:\/]?[0-9a-f]+/, "D", k); gsub(/[0-9a-f]{12,}/, "H", k); c[$2 " " k " " $4]++ }
        END { for (x in c) printf "%d %s\n", c[x], x }' | sort -rn
}

# ---- auth material, configs, nginx ----------------------------------------------------------------

# user "bench", password "bench" (bcrypt cost 4: a benchmark, not a secret)
printf '%s\n' 'bench:$2y$04$......................9KjdJ2CdiP3/KtaAMXuc2f1Si9Xleo.' > "$RUN_DIR/htpasswd"
openssl ecparam -name prime256v1 -genkey -noout -out "$RUN_DIR/token-key.pem" 2>/dev/null
AUTH="Basic $(printf bench:bench | base64)"

# gantry_config DIR PORT BUCKET ID: one replica's configuration
gantry_config() {
    local dir=$1 port=$2 bucket=$3 id=$4
    mkdir -p "$dir"
    cat > "$dir/gantry.yaml" <<YAML
listen: 127.0.0.1:$port
upstreams:
  - name: hub
    url: http://127.0.0.1:$FWD_PORT
    default: true
hosted:
  - prefix: local/
auth:
  htpasswd: $RUN_DIR/htpasswd
  tokenKeys: [$RUN_DIR/token-key.pem]
storage:
  disk:
    path: $dir/data
  s3:
    endpoint: http://127.0.0.1:$S3_ENDPOINT_PORT
    region: us-east-1
    bucket: $bucket
    pathStyle: true
    accessKeyId: $S3_IDENTITY
    secretAccessKey: $S3_CREDENTIAL
fleet:
  id: $id
  advertise: 127.0.0.1:$port
${WARM_UP:+server:
  warmUp: $WARM_UP}
YAML
}

cat > "$RUN_DIR/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $RUN_DIR/nginx.pid;
error_log $RUN_DIR/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log $RUN_DIR/nginx-access.log;
    client_body_temp_path $RUN_DIR/nginx-tmp;
    proxy_temp_path $RUN_DIR/nginx-tmp;
    upstream g {
$(for i in $(seq 1 "$REPLICAS"); do echo "        server 127.0.0.1:$(replica_port "$i");"; done)
        keepalive 32;
    }
    server {
        listen 127.0.0.1:$LB_PORT;
        client_max_body_size 0;
        location / {
            proxy_pass http://g;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$http_host;
            proxy_buffering off;
            proxy_request_buffering off;
            proxy_read_timeout 60s;
        }
    }
}
EOF
mkdir -p "$RUN_DIR/nginx-tmp" "$RUN_DIR/nginx1"
start nginx "$RUN_DIR/nginx.log" nginx -c "$RUN_DIR/nginx.conf" -p "$RUN_DIR"
# The second reference: ONE replica behind the same nginx configuration (what the balancer costs).
sed -e "s|^pid .*|pid $RUN_DIR/nginx1/nginx.pid;|" -e "s|$RUN_DIR/nginx-|$RUN_DIR/nginx1/nginx-|g" \
    -e "s|listen 127.0.0.1:$LB_PORT;|listen 127.0.0.1:$LB1_PORT;|" -e '/^        server 127.0.0.1:/d' \
    -e "s|^    upstream g {|    upstream g {\n        server 127.0.0.1:$SINGLE_PORT;|" "$RUN_DIR/nginx.conf" > "$RUN_DIR/nginx1/nginx.conf"
mkdir -p "$RUN_DIR/nginx1/nginx-tmp"
start nginx1 "$RUN_DIR/nginx1/nginx.log" nginx -c "$RUN_DIR/nginx1/nginx.conf" -p "$RUN_DIR/nginx1"
sleep 0.5
kill -0 "${SERVER_PID[nginx]}" 2>/dev/null || die "nginx did not start: $(cat "$RUN_DIR/nginx.log" "$RUN_DIR/nginx-error.log")"
kill -0 "${SERVER_PID[nginx1]}" 2>/dev/null || die "nginx1 did not start: $(cat "$RUN_DIR/nginx1/nginx.log" "$RUN_DIR"/nginx1/nginx-error.log)"

# ---- replicas ---------------------------------------------------------------------------------------

# start_fleet BUCKET LABEL: REPLICAS replicas r1..rN on BUCKET, fresh data dirs, started together.
start_fleet() {
    local bucket=$1 label=$2 i p
    new_bucket "$bucket"
    for i in $(seq 1 "$REPLICAS"); do
        p=$(replica_port "$i"); need_port "$p"
        gantry_config "$RUN_DIR/$label/r$i" "$p" "$bucket" "r$i"
        start "r$i" "$RUN_DIR/$label/r$i/server.log" "$LIB_ROOT/bin/gantry" serve --config "$RUN_DIR/$label/r$i/gantry.yaml"
    done
    for i in $(seq 1 "$REPLICAS"); do wait_http "http://127.0.0.1:$(replica_port "$i")/readyz" 120 "r$i"; done
}
stop_fleet() { local i; for i in $(seq 1 "$REPLICAS"); do stop "r$i"; done; }

# warm_through HOSTPORT [ROUNDS]: PULLS cold pulls at once of the unrelated bench/warmup:1 over a fast
# link, then ROUNDS (WARM_PULLS) rounds of the same of bench/warmup:2.. (bench/pull:1's shape, other bytes:
# misses, fills, peer fetches, uploads) over the hub-like link, so that what a) compares is the
# serving of compiled code: without it three fresh JVMs compile the pull path three times (their
# JIT took 6.1 CPU s of the fleet's 15.5 against 2.4 of 5.4 for one replica in a measured pull).
warm_through() {
    local k i pids rounds=${2:-$WARM_PULLS}
    fast_link
    for k in $(seq 1 $((rounds + 1))); do
        [ "$k" != 2 ] || hub_like
        pids=()
        for i in $(seq 1 "$PULLS"); do pull_to "$1" "bench/warmup:$k" "$RUN_DIR/warm-$k-$i" & pids+=($!); done
        for i in "${!pids[@]}"; do
            wait "${pids[$i]}" || die "warm-up pull through $1 failed: $(tail -3 "$RUN_DIR/warm-$k-$((i + 1)).log")"
        done
        rm -rf "$RUN_DIR"/warm-"$k"-*
    done
    hub_like
    sleep 1   # scans and heartbeats of the warm-up settle
    fwd reset >/dev/null
}

# pull_to HOSTPORT IMAGE DEST [CREDS]: skopeo copy into dir:DEST, bounded.
pull_to() {
    local creds=()
    [ -n "${4:-}" ] && creds=(--src-creds "$4")
    rm -rf "$3"
    timeout "$SKOPEO_TIMEOUT" skopeo --policy "$RUN_DIR/policy.json" copy -q --src-tls-verify=false \
        --src-authfile "$RUN_DIR/auth.json" "${creds[@]}" "docker://$1/$2" "dir:$3" > "$3.log" 2>&1
}

# machine_ticks: CPU time of the whole machine (user + nice + system + irq + softirq, clock ticks).
machine_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat; }

# cpu_by_role: "gantry nginx s3 hub machine" CPU ticks so far (the servers this run started, the machine).
cpu_by_role() {
    local name g=0 x=0 s=0 h=0 k=0
    for name in "${!SERVER_PID[@]}"; do
        case $name in
            r[0-9]*|single) g=$((g + $(cpu_ticks "${SERVER_PID[$name]}")))
                            k=$((k + $(awk '{print $15}' "/proc/${SERVER_PID[$name]}/stat" 2>/dev/null || echo 0))) ;;
            nginx*) x=$((x + $(cpu_ticks "${SERVER_PID[$name]}"))) ;;
            s3proxy) s=$((s + $(cpu_ticks "${SERVER_PID[$name]}"))) ;;
            upstream|forwarder) h=$((h + $(cpu_ticks "${SERVER_PID[$name]}"))) ;;
        esac
    done
    echo "$g $x $s $h $(machine_ticks) $k"
}

# threads_cpu PID...: "thread-kind ticks" per kind of thread (the name without its number) of the processes.
threads_cpu() {
    local p t
    for p in "$@"; do
        for t in /proc/"$p"/task/*/stat; do cat "$t" 2>/dev/null; done
    done | sed -E 's/^[0-9]+ \((.*)\) [A-Z] /\1\t/' | awk -F'\t' '{ split($2, f, " "); k = $1; gsub(/[-#]?[0-9]+$/, "", k); c[k] += f[11] + f[12] }
        END { for (k in c) printf "%s\t%d\n", k, c[k] }'
}

# concurrent_pulls HOSTPORT LABEL: PULLS pulls of bench/pull:1 at once; records wall, hub counts and
# where the CPU went (Gantry, nginx, S3Proxy, the hub, and the rest: the skopeo clients).
concurrent_pulls() {
    local hp=$1 label=$2 t0 i pids=() ok=0 n d m mg dm mh cpu0 cpu1 hz
    hz=$(getconf CLK_TCK)
    for i in "${!SERVER_PID[@]}"; do [[ $i != r[0-9]* && $i != single ]] || jfr_start "${SERVER_PID[$i]}" "$label-$i-$RUN"; done
    local gpids=() n0
    for i in "${!SERVER_PID[@]}"; do [[ $i != r[0-9]* && $i != single ]] || gpids+=("${SERVER_PID[$i]}"); done
    n0=$(threads_cpu "${gpids[@]}")
    local s3l0; s3l0=$(s3_log_lines)
    cpu0=$(cpu_by_role)
    t0=$(now)
    for i in $(seq 1 "$PULLS"); do
        pull_to "$hp" bench/pull:1 "$RUN_DIR/$label-pull-$i" & pids+=($!)
    done
    for i in "${!pids[@]}"; do wait "${pids[$i]}" && ok=$((ok + 1)) || log "pull $((i + 1)) via $label failed: $(tail -2 "$RUN_DIR/$label-pull-$((i + 1)).log")"; done
    record "$label.wall_s" "$(since "$t0")"
    cpu1=$(cpu_by_role)
    # Gantry's CPU by kind of thread (JIT compilers, GC, event loops, ...), the ten biggest.
    join -t $'\t' -a 2 -e 0 -o 0,1.2,2.2 <(sort <<< "$n0") <(threads_cpu "${gpids[@]}" | sort) \
        | awk -F'\t' -v hz="$hz" '{ printf "%.2f\t%s\n", ($3 - $2) / hz, $1 }' | sort -rn | head -10 \
        | while IFS=$'\t' read -r c k; do log "  run $RUN: $label Gantry threads '$k': $c CPU s"; done
    for i in "${!SERVER_PID[@]}"; do [[ $i != r[0-9]* && $i != single ]] || jfr_stop "${SERVER_PID[$i]}" "$label-$i-$RUN"; done
    s3_requests_since "$s3l0" | head -25 | while read -r c k; do log "  run $RUN: $label S3 requests: $c $k"; done
    read -r n d m mg dm <<< "$(awk -v hz="$hz" -v a="$cpu0" -v b="$cpu1" 'BEGIN { split(a, x, " "); split(b, y, " ")
        for (i = 1; i <= 5; i++) c[i] = (y[i] - x[i]) / hz
        printf "%.2f %.2f %.2f %.2f %.2f\n", c[1], c[2], c[3], c[4], c[5] - c[1] - c[2] - c[3] - c[4] }')"
    record "$label.cpu_gantry_s" "$n"; record "$label.cpu_nginx_s" "$d"; record "$label.cpu_s3_s" "$m"
    record "$label.cpu_hub_s" "$mg"; record "$label.cpu_clients_s" "$dm"
    record "$label.cpu_gantry_sys_s" "$(awk -v hz="$hz" -v a="$cpu0" -v b="$cpu1" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.2f\n", (y[6] - x[6]) / hz }')"
    record "$label.pulls_ok" "$ok"
    read -r n d m mg dm mh <<< "$(hub_counts)"
    record "$label.blob_gets" "$n"; record "$label.distinct_blobs" "$d"; record "$label.max_gets_per_blob" "$m"
    record "$label.manifest_gets" "$mg"; record "$label.distinct_manifests" "$dm"; record "$label.manifest_heads" "$mh"
    record "$label.manifest_gets_per_manifest" "$(awk -v a="$mg" -v b="$dm" 'BEGIN { printf "%.2f", b ? a / b : 0 }')"
    record "$label.hub_mb" "$(awk -v b="$(hub_bytes)" 'BEGIN { printf "%.1f", b / 1e6 }')"
    read -r n d <<< "$(hub_auth_counts)"
    record "$label.hub_tokens" "$n"; record "$label.hub_401s" "$d"
    fwd log > "$RUN_DIR/upstream-$RUN-$label.log"
}

# ---- b) auth through the balancer ------------------------------------------------------------------

chunked_push() { # K: POST, three PATCHes, PUT of a 3 MiB blob; then GET it back through the balancer
    local k=$1 f=$RUN_DIR/chunk-$1 loc dig code
    head -c 3145728 /dev/urandom > "$f"
    dig=sha256:$(sha256sum "$f" | cut -d' ' -f1)
    loc=$(curl -s --max-time 30 -X POST -H "Authorization: $AUTH" -D - -o /dev/null "http://$LB/v2/local/chunked/blobs/uploads/" \
        | tr -d '\r' | awk 'tolower($1) == "location:" {print $2}')
    [ -n "$loc" ] || return 1
    local off=0 size=1048576 part
    for part in 0 1 2; do
        case "$loc" in http*) ;; *) loc=http://$LB$loc ;; esac
        loc=$(tail -c +$((off + 1)) "$f" | head -c $size | curl -s --max-time 30 -X PATCH -H "Authorization: $AUTH" \
            -H 'Content-Type: application/octet-stream' -H "Content-Range: $off-$((off + size - 1))" \
            --data-binary @- -D - -o /dev/null "$loc" | tr -d '\r' | awk 'tolower($1) == "location:" {print $2}')
        [ -n "$loc" ] || return 1
        off=$((off + size))
    done
    case "$loc" in http*) ;; *) loc=http://$LB$loc ;; esac
    case "$loc" in *\?*) loc="$loc&digest=$dig" ;; *) loc="$loc?digest=$dig" ;; esac
    code=$(curl -s --max-time 30 -X PUT -H "Authorization: $AUTH" -o /dev/null -w '%{http_code}' "$loc")
    [ "$code" = 201 ] || return 1
    [ "$(curl -s --max-time 30 -H "Authorization: $AUTH" "http://$LB/v2/local/chunked/blobs/$dig" | sha256sum | cut -d' ' -f1)" = "${dig#sha256:}" ]
}

auth_phase() {
    local k ok_anon=0 ok_login=0 ok_push=0 ok_chunk=0 src=$RUN_DIR/fleet-pull-1
    for k in $(seq 1 "$AUTH_N"); do
        pull_to "$LB" bench/pull:1 "$RUN_DIR/auth-anon" && ok_anon=$((ok_anon + 1)) || log "anonymous pull $k failed: $(tail -2 "$RUN_DIR/auth-anon.log")"
        pull_to "$LB" bench/pull:1 "$RUN_DIR/auth-login" bench:bench && ok_login=$((ok_login + 1)) || log "logged-in pull $k failed: $(tail -2 "$RUN_DIR/auth-login.log")"
        if timeout "$SKOPEO_TIMEOUT" skopeo --policy "$RUN_DIR/policy.json" copy -q --dest-tls-verify=false \
            --dest-creds bench:bench "dir:$src" "docker://$LB/local/pushed:$RUN-$k" > "$RUN_DIR/auth-push.log" 2>&1 \
            && pull_to "$LB" "local/pushed:$RUN-$k" "$RUN_DIR/auth-pushed" bench:bench; then
            ok_push=$((ok_push + 1))
        else
            log "skopeo push $k failed: $(tail -2 "$RUN_DIR/auth-push.log")"
        fi
        chunked_push "$k" && ok_chunk=$((ok_chunk + 1)) || log "chunked push $k failed"
    done
    # Anonymous push must be refused.
    record auth.anon_push_refused "$([ "$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X POST "http://$LB/v2/local/anon/blobs/uploads/")" = 401 ] && echo 1 || echo 0)"
    record auth.anon_pull_ok "$ok_anon"; record auth.login_pull_ok "$ok_login"
    record auth.skopeo_push_ok "$ok_push"; record auth.chunked_push_ok "$ok_chunk"; record auth.n "$AUTH_N"
    rm -rf "$RUN_DIR"/auth-anon* "$RUN_DIR"/auth-login* "$RUN_DIR"/auth-pushed* "$RUN_DIR"/chunk-*
}

# ---- c) one 429 ---------------------------------------------------------------------------------------

rate_limit_phase() {
    local t429 k deadline asked=0 after first
    fwd reset >/dev/null
    fwd "fail429?count=1&retry-after=$RETRY_AFTER" >/dev/null
    # The first request upstream (a tag none has cached) gets the 429.
    curl -s --max-time 20 -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$LB/v2/bench/blobs/manifests/1" || true
    t429=$(fwd log | awk '$3 == "429" {print $1; exit}')
    [ -n "$t429" ] || { note "run $RUN: c) no request reached the hub to be answered 429"; record rl.after_429 fail; return; }
    # Until Retry-After ends: uncached tag and blobs through the balancer (each replica in turn).
    deadline=$((t429 + RETRY_AFTER * 1000 - 300))
    while [ "$(date +%s%3N)" -lt "$deadline" ]; do
        curl -s --max-time 2 -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$LB/v2/bench/blobs/manifests/1" || true
        for k in "${C_BLOBS[@]}"; do curl -s --max-time 2 -o /dev/null "http://$LB/v2/bench/blobs/blobs/$k" || true; done
        asked=$((asked + 1 + ${#C_BLOBS[@]}))
    done
    fwd log > "$RUN_DIR/upstream-$RUN-429.log"
    # Requests the hub saw after the 429 line and before Retry-After ended (in the first second apart).
    # Token requests are counted apart: Docker Hub's token service is another host, and no pull.
    read -r after first tokens <<< "$(awk -v t="$t429" -v ra="$RETRY_AFTER" 'seen && $1 < t + ra * 1000 { if ($4 ~ /^\/token/) { k++; next } n++; if ($1 < t + 1000) f++ }
        $3 == "429" { seen = 1 } END { printf "%d %d %d\n", n, f, k }' "$RUN_DIR/upstream-$RUN-429.log")"
    record rl.after_429 "$after"; record rl.after_429_first_s "$first"; record rl.client_requests "$asked"; record rl.tokens_after_429 "$tokens"
    sleep 1
}

# ---- d) a replica restarted: time to 90 % of steady hot-blob throughput ----------------------------------

restart_phase() {
    local i=$REPLICAS p out=$RUN_DIR/probe-$RUN.txt dir pid ctl=$RUN_DIR/probe-control-$RUN.txt
    # The control: the same probe against r1, which has been serving all along, after the probe's 6 s
    # of warm-up on r1 itself (which is then warm for this very load too). What it shows (a ramp of
    # its own, the machine's noise) is the probe's and the machine's, not a cold JVM's.
    java -Xmx256m "$HERE/WarmupProbe.java" --port "$(replica_port 1)" --path "/v2/bench/pull/blobs/$HOT_DIGEST" \
        --threads 4 --seconds "$PROBE_SECONDS" --size "$HOT_SIZE" --warm-port "$(replica_port 1)" > "$ctl" 2>&1 \
        || { cat "$ctl" >&2; die "control probe failed"; }
    record warm.control_t90_ms "$(awk '/^t90_ms/ {print $2}' "$ctl")"
    record warm.control_first_second_fraction "$(awk '/^first_second_fraction/ {print $2}' "$ctl")"
    record warm.control_steady_mbps "$(awk '/^steady_mbps/ {print $2}' "$ctl")"
    p=$(replica_port "$i")
    stop "r$i"
    dir=$RUN_DIR/fleet/r$i
    rm -rf "$dir/data"                 # a new pod: empty disk, the same bucket
    # The probe warms its own JIT on r1 (same blob, same path), so what it measures is the new replica's.
    java -Xmx256m "$HERE/WarmupProbe.java" --port "$p" --path "/v2/bench/pull/blobs/$HOT_DIGEST" \
        --threads 4 --seconds "$PROBE_SECONDS" --size "$HOT_SIZE" --warm-port "$(replica_port 1)" > "$out" 2>&1 &
    pid=$!
    local t=0
    until grep -q '^polling' "$out"; do
        kill -0 "$pid" 2>/dev/null || { cat "$out" >&2; die "probe failed"; }
        sleep 0.05; t=$((t + 1)); [ $t -lt 1200 ] || die "probe did not start"
    done
    local started; started=$(date +%s%3N)
    start "r$i" "$dir/server-restart.log" "$LIB_ROOT/bin/gantry" serve --config "$dir/gantry.yaml"
    wait "$pid" || { cat "$out" >&2; die "probe failed"; }
    record warm.start_to_ready_ms $(($(awk '/^ready_epoch_ms/ {print $2}' "$out") - started))
    record warm.t90_ms "$(awk '/^t90_ms/ {print $2}' "$out")"
    record warm.start_to_t90_ms $(($(awk '/^ready_epoch_ms/ {print $2}' "$out") - started + $(awk '/^t90_ms/ {print $2}' "$out")))
    record warm.first_second_fraction "$(awk '/^first_second_fraction/ {print $2}' "$out")"
    record warm.steady_mbps "$(awk '/^steady_mbps/ {print $2}' "$out")"
}

# ---- e) kill -9 during cold pulls ----------------------------------------------------------------------

kill_phase() {
    local i pids=() ok=0 retried=0 t0 victim=r2 n d m mg dm mh
    start_fleet "kill-$RUN-$(date +%s)" kill
    warm_through "$LB"
    t0=$(now)
    for i in $(seq 1 "$PULLS"); do
        ( for try in 1 2 3; do
              pull_to "$LB" bench/pull:1 "$RUN_DIR/kill-pull-$i" && { echo "$try" > "$RUN_DIR/kill-pull-$i.try"; exit 0; }
              cp "$RUN_DIR/kill-pull-$i.log" "$RUN_DIR/kill-pull-$i.try$try.log"
              sleep 1
          done; exit 1 ) & pids+=($!)
    done
    sleep "$KILL_AFTER"
    kill -9 "${SERVER_PID[$victim]}" 2>/dev/null || true
    log "kill -9 $victim (pid ${SERVER_PID[$victim]}) $(since "$t0") s into the pulls"
    for i in "${!pids[@]}"; do
        if wait "${pids[$i]}"; then
            ok=$((ok + 1))
            [ "$(cat "$RUN_DIR/kill-pull-$((i + 1)).try")" = 1 ] || retried=$((retried + 1))
        fi
    done
    record kill.wall_s "$(since "$t0")"
    record kill.pulls_ok "$ok"; record kill.pulls_retried "$retried"
    read -r n d m mg dm mh <<< "$(hub_counts)"
    record kill.blob_gets "$n"; record kill.distinct_blobs "$d"; record kill.max_gets_per_blob "$m"
    fwd log > "$RUN_DIR/upstream-$RUN-kill.log"
    stop "$victim"
    stop_fleet
    rm -rf "$RUN_DIR"/kill-pull-* "$RUN_DIR"/kill/r*/data
}

# ---- runs ---------------------------------------------------------------------------------------------

for RUN in $(seq 1 "$RUNS"); do
    wait_other_bench
    log "== run $RUN"
    record pulls.n "$PULLS"
    # a) reference: one replica, its own bucket
    need_port "$SINGLE_PORT"
    gantry_config "$RUN_DIR/single" "$SINGLE_PORT" "single-$RUN-$(date +%s)" single
    rm -rf "$RUN_DIR/single/data"
    new_bucket "$(awk '$1 == "bucket:" {print $2}' "$RUN_DIR/single/gantry.yaml")"
    start_gantry single "$SINGLE_PORT" "$RUN_DIR/single/gantry.yaml"
    warm_through "127.0.0.1:$SINGLE_PORT"
    concurrent_pulls "127.0.0.1:$SINGLE_PORT" single
    stop single
    rm -rf "$RUN_DIR"/single-pull-* "$RUN_DIR/single/data"
    # a) second reference: one replica (fresh disk and bucket) behind the same nginx configuration
    gantry_config "$RUN_DIR/single" "$SINGLE_PORT" "single-lb-$RUN-$(date +%s)" single
    new_bucket "$(awk '$1 == "bucket:" {print $2}' "$RUN_DIR/single/gantry.yaml")"
    start_gantry single "$SINGLE_PORT" "$RUN_DIR/single/gantry.yaml"
    warm_through "127.0.0.1:$LB1_PORT"
    concurrent_pulls "127.0.0.1:$LB1_PORT" single_lb
    stop single
    rm -rf "$RUN_DIR"/single_lb-pull-* "$RUN_DIR/single/data"
    # a) the fleet through the balancer
    start_fleet "fleet-$RUN-$(date +%s)" fleet
    warm_through "$LB" "$FLEET_WARM_PULLS"
    concurrent_pulls "$LB" fleet
    # c) one 429, b) auth, d) a restarted replica, on the same fleet
    [[ $PHASES != *c* ]] || rate_limit_phase
    [[ $PHASES != *b* ]] || auth_phase
    [[ $PHASES != *d* ]] || restart_phase
    stop_fleet
    rm -rf "$RUN_DIR"/fleet-pull-* "$RUN_DIR"/fleet/r*/data
    # e) kill -9 during cold pulls, on a fresh fleet
    [[ $PHASES != *e* ]] || kill_phase
    check_overlap
done

{
    printf '# a) %s concurrent cold pulls of bench/pull:1 (20 layers): fleet through nginx (value) vs ONE replica (ref)\n' "$PULLS"
    printf 'wall time, s\tfleet.wall_s\tsingle.wall_s\tlower\t<=1.1\n'
    printf 'wall time, s, against ONE replica behind the same nginx\tfleet.wall_s\tsingle_lb.wall_s\tlower\t-\n'
    printf 'pulls that succeeded (value) of all (ref)\tfleet.pulls_ok\tpulls.n\thigher\t>=1\n'
    printf 'upstream blob GETs (value) / distinct blobs (ref)\tfleet.blob_gets\tfleet.distinct_blobs\tlower\t<=1\n'
    printf 'ONE replica: upstream blob GETs / distinct blobs\tsingle.blob_gets\tsingle.distinct_blobs\tlower\t<=1\n'
    printf 'most upstream GETs of one blob\tfleet.max_gets_per_blob\t-\tlower\t<=1\n'
    printf 'manifest GETs (value) / distinct manifests (ref)\tfleet.manifest_gets\tfleet.distinct_manifests\tlower\t<=1\n'
    printf 'manifest GETs per manifest, ONE replica\tsingle.manifest_gets_per_manifest\t-\tlower\t<=1\n'
    printf 'manifest HEADs at the hub\tfleet.manifest_heads\tsingle.manifest_heads\tlower\t-\n'
    printf 'MB from the hub\tfleet.hub_mb\tsingle.hub_mb\tlower\t<=1\n'
    printf 'CPU s, Gantry (all replicas)\tfleet.cpu_gantry_s\tsingle.cpu_gantry_s\tlower\t-\n'
    printf '  of which in the kernel\tfleet.cpu_gantry_sys_s\tsingle.cpu_gantry_sys_s\tlower\t-\n'
    printf 'CPU s, nginx\tfleet.cpu_nginx_s\tsingle.cpu_nginx_s\tlower\t-\n'
    printf 'CPU s, Gantry, against ONE replica behind nginx\tfleet.cpu_gantry_s\tsingle_lb.cpu_gantry_s\tlower\t-\n'
    printf 'CPU s, nginx, against ONE replica behind nginx\tfleet.cpu_nginx_s\tsingle_lb.cpu_nginx_s\tlower\t-\n'
    printf 'CPU s, the rest, against ONE replica behind nginx\tfleet.cpu_clients_s\tsingle_lb.cpu_clients_s\tlower\t-\n'
    printf 'CPU s, S3Proxy\tfleet.cpu_s3_s\tsingle.cpu_s3_s\tlower\t-\n'
    printf 'CPU s, hub (Distribution + forwarder)\tfleet.cpu_hub_s\tsingle.cpu_hub_s\tlower\t-\n'
    printf 'CPU s, the rest (skopeo clients)\tfleet.cpu_clients_s\tsingle.cpu_clients_s\tlower\t-\n'
    printf 'token requests at the hub (bearer)\tfleet.hub_tokens\tsingle.hub_tokens\tlower\t-\n'
    printf '401 challenges by the hub\tfleet.hub_401s\tsingle.hub_401s\tlower\t-\n'
    printf '# b) auth on, through the balancer: successes (value) of N (ref)\n'
    printf 'anonymous pulls (skopeo)\tauth.anon_pull_ok\tauth.n\thigher\t>=1\n'
    printf 'logged-in pulls (skopeo --src-creds)\tauth.login_pull_ok\tauth.n\thigher\t>=1\n'
    printf 'pushes (skopeo copy, then pulled back)\tauth.skopeo_push_ok\tauth.n\thigher\t>=1\n'
    printf 'chunked pushes (curl: POST, 3 PATCH, PUT; read back)\tauth.chunked_push_ok\tauth.n\thigher\t>=1\n'
    printf 'anonymous push refused (1 = 401)\tauth.anon_push_refused\t-\thigher\t>=1\n'
    printf '# c) one 429 from the hub (Retry-After %s s): upstream requests during Retry-After, whole fleet\n' "$RETRY_AFTER"
    printf 'hub requests after the 429, within Retry-After\trl.after_429\t-\tlower\t<=0\n'
    printf '  of which in the first second\trl.after_429_first_s\t-\tlower\t-\n'
    printf 'token requests meanwhile (bearer; not counted above)\trl.tokens_after_429\t-\tlower\t-\n'
    printf 'client requests for uncached content meanwhile\trl.client_requests\t-\thigher\t-\n'
    printf '# d) a replica restarted (empty disk, same bucket), WarmupProbe on a %s-byte hot layer\n' "$HOT_SIZE"
    printf 'ready -> 90%% of steady throughput, ms\twarm.t90_ms\t-\tlower\t<=2000\n'
    printf 'start -> ready, ms\twarm.start_to_ready_ms\t-\tlower\t-\n'
    printf 'start -> 90%% of steady throughput, ms\twarm.start_to_t90_ms\t-\tlower\t-\n'
    printf 'first second, fraction of steady\twarm.first_second_fraction\t-\thigher\t-\n'
    printf 'steady MB/s\twarm.steady_mbps\twarm.control_steady_mbps\thigher\t-\n'
    printf 'control (r1, serving all along): 90%% of steady after, ms\twarm.control_t90_ms\t-\tlower\t-\n'
    printf 'control: first second, fraction of steady\twarm.control_first_second_fraction\t-\thigher\t-\n'
    printf '# e) kill -9 of one replica %s s into %s cold pulls (fresh fleet and bucket), up to 3 tries per pull\n' "$KILL_AFTER" "$PULLS"
    printf 'pulls that succeeded (value) of all (ref)\tkill.pulls_ok\tpulls.n\thigher\t>=1\n'
    printf '  of which after a retry\tkill.pulls_retried\t-\tlower\t-\n'
    printf 'upstream blob GETs (value) / distinct blobs (ref)\tkill.blob_gets\tkill.distinct_blobs\tlower\t-\n'
    printf 'wall time, s\tkill.wall_s\tfleet.wall_s\tlower\t-\n'
} > "$RUN_DIR/table.spec"
table "$RUN_DIR" | tee "$RUN_DIR/summary.txt"
# The buckets (images pulled and pushed, ~0.3 GB a run) go; logs and results stay.
[ -n "${KEEP:-}" ] || rm -rf "$S3_DIR/data" "$RUN_DIR"/fleet/r*/data "$RUN_DIR"/kill/r*/data
