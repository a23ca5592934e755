#!/usr/bin/env bash
# What authentication costs per request: one Gantry with auth.htpasswd, a
# small hosted image, and wrk GETting its manifest (399 bytes) on loopback
# three ways in the same run:
#   - anonymously (anonymous pulls are on): the reference;
#   - with a bearer token from Gantry's own token endpoint, as dockerd,
#     containerd, Podman and skopeo send one with every request of a pull;
#   - with HTTP Basic credentials on every request (some CI scripts do that).
# Rows: req/s and server CPU (user + system) per request, each compared with
# the anonymous GETs of the same run.
#
#   bench/auth.sh              # 3 runs, medians (~3 min on 2 cores)
#   bench/auth.sh --quick      # 1 short run: checks the script
#   bench/auth.sh --help
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
RUNS=3
DURATION=10
JIT_SECONDS=10
CONNS=8
PORT_BASE=${BENCH_PORT_BASE:-17440}
export GANTRY_JAVA_OPTS=${GANTRY_JAVA_OPTS:-}

usage() {
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    cat <<EOF

Options (defaults in brackets):
  --runs N        repetitions; medians over them [$RUNS]
  --quick         1 run, 3 s wrk runs
  --duration S    measured wrk seconds per way [$DURATION]
  --conns N       wrk connections [$CONNS]
Environment: BENCH_PORT_BASE [17440] (one port), GANTRY_JAVA_OPTS, GANTRY_JAR.
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift ;;
        --quick) RUNS=1; DURATION=3; JIT_SECONDS=4 ;;
        --duration) DURATION=$2; shift ;;
        --conns) CONNS=$2; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
need_tools wrk curl python3
lib_init auth
build_gantry
PORT=$PORT_BASE
G=http://127.0.0.1:$PORT
env_header "runs $RUNS; wrk -c$CONNS ${DURATION}s per way after ${JIT_SECONDS}s of JIT warm-up of each way; one Gantry, auth.htpasswd, anonymous pulls on"

# user "bench", password "bench" (bcrypt cost 4: a benchmark, not a secret)
printf '%s\n' 'bench:$2y$04$......................9KjdJ2CdiP3/KtaAMXuc2f1Si9Xleo.' > "$RUN_DIR/htpasswd"
mkdir -p "$RUN_DIR/gantry"
cat > "$RUN_DIR/gantry/gantry.yaml" <<YAML
listen: 127.0.0.1:$PORT
hosted:
  - prefix: local/
auth:
  htpasswd: $RUN_DIR/htpasswd
server:
  accessLog: false
  warmUp: 0s
storage:
  disk:
    path: $RUN_DIR/gantry/data
YAML
start_gantry gantry "$PORT" "$RUN_DIR/gantry/gantry.yaml"
PID=${SERVER_PID[gantry]}

# A one-layer image: config and layer pushed with Basic credentials, then the manifest.
printf '{"architecture":"amd64","os":"linux"}' > "$RUN_DIR/config.json"
head -c 4096 /dev/urandom > "$RUN_DIR/layer.bin"
push() { # FILE: monolithic upload with Basic credentials; prints the digest
    local d
    d=sha256:$(sha256sum "$1" | cut -d' ' -f1)
    curl -sf -u bench:bench -X POST --data-binary "@$1" "$G/v2/local/auth/blobs/uploads/?digest=$d" -o /dev/null \
        || die "push of $1 failed"
    echo "$d"
}
CFG=$(push "$RUN_DIR/config.json")
LAYER=$(push "$RUN_DIR/layer.bin")
MANIFEST='{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"'$CFG'","size":'$(stat -c %s "$RUN_DIR/config.json")'},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"'$LAYER'","size":4096}]}'
curl -sf -u bench:bench -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "$MANIFEST" \
    "$G/v2/local/auth/manifests/1" -o /dev/null || die "manifest push failed"
URL=$G/v2/local/auth/manifests/1
ACCEPT='Accept: application/vnd.oci.image.manifest.v1+json'

# A pull token for bench, from the realm Gantry's challenge names.
REALM=$(curl -s -D - -o /dev/null "$G/v2/" | tr -d '\r' | awk 'tolower($1) == "www-authenticate:"' \
    | sed 's/.*realm="\([^"]*\)".*service="\([^"]*\)".*/\1?service=\2/')
TOKEN=$(curl -sf -u bench:bench "$REALM&scope=repository:local/auth:pull" \
    | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d.get("token") or d["access_token"])')
BASIC="Authorization: Basic $(printf bench:bench | base64)"
for h in "X-None: -" "Authorization: Bearer $TOKEN" "$BASIC"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "$h" -H "$ACCEPT" "$URL")
    [ "$code" = 200 ] || die "GET $URL with '${h%%:*}' answered $code"
done

# way NAME HEADER: JIT warm-up, then the measured wrk run; records req/s and CPU µs per request.
way() {
    local name=$1 header=$2 r
    wrk_run "$RUN_DIR/wrk-$name-warm.txt" "$URL" "$CONNS" "$JIT_SECONDS" "" -H "$header" -H "$ACCEPT" > /dev/null
    read -r -a r <<< "$(wrk_run "$RUN_DIR/wrk-$name-$RUN.txt" "$URL" "$CONNS" "$DURATION" "$PID" -H "$header" -H "$ACCEPT")"
    [ "${r[2]}" = 0 ] || die "$name: ${r[2]} errors or non-200 answers (see $RUN_DIR/wrk-$name-$RUN.txt)"
    record "$name.rps" "${r[0]}"
    record "$name.p50_ms" "${r[3]}"
    record "$name.cpu_us" "${r[7]}"
}

cat > "$RUN_DIR/table.spec" <<'SPEC'
# GET of a 399-byte manifest, one Gantry, loopback: each way (value) vs anonymous GETs of the same run (ref)
req/s, anonymous	anon.rps	-	higher	-
req/s, bearer token on every request	bearer.rps	anon.rps	higher	>=0.8
req/s, Basic credentials on every request	basic.rps	anon.rps	higher	-
server CPU µs per request, anonymous	anon.cpu_us	-	lower	-
server CPU µs per request, bearer token	bearer.cpu_us	anon.cpu_us	lower	<=1.25
server CPU µs per request, Basic credentials	basic.cpu_us	anon.cpu_us	lower	-
p50 ms, bearer token	bearer.p50_ms	anon.p50_ms	lower	-
SPEC

for RUN in $(seq "$RUNS"); do
    log "run $RUN/$RUNS"
    if [ $((RUN % 2)) -eq 1 ]; then
        way anon "X-None: -"; way bearer "Authorization: Bearer $TOKEN"; way basic "$BASIC"
    else
        way basic "$BASIC"; way bearer "Authorization: Bearer $TOKEN"; way anon "X-None: -"
    fi
done

table "$RUN_DIR" | tee "$RUN_DIR/summary.txt"
log "results: $RUN_DIR"
