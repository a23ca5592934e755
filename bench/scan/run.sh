#!/usr/bin/env bash
# Scan throughput of Gantry's layer scanner next to `gzip -dc | tar -t` on
# the same gzip'd layers, in compressed MB per CPU-second (user+sys, so
# "per core"), medians of RUNS runs, plus per-image scan time.
#
# Layers: Debian packages from the test cache (~/.cache/gantry-test/debs,
# fetched with apt-get download when missing), each unpacked and tar+gzip'd
# as one layer, and two big ones: /usr/lib/x86_64-linux-gnu and the JDK.
# Peak memory: the JVM runs with -Xmx${HEAP:-256m}; its max RSS is printed.
#
# Usage: bench/scan/run.sh [RUNS]   (writes bench/out/scan-*.tsv)
set -euo pipefail
RUNS=${1:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT="$ROOT/bench/out"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT" "$HOME/.cache/gantry-test/debs"

PKGS="libc6 curl nginx python3.11-minimal qemu-system-x86 libgl1-mesa-dri mesa-vulkan-drivers intel-opencl-icd libibverbs1 libasound2"
cd "$HOME/.cache/gantry-test/debs"
for p in $PKGS; do
  ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download "$p" >/dev/null
done
LAYERS=()
for p in $PKGS; do
  mkdir -p "$WORK/$p"
  dpkg-deb -x "$(ls "${p}"_*.deb | head -1)" "$WORK/$p"
  tar -C "$WORK/$p" -czf "$WORK/$p.tar.gz" .
  LAYERS+=("$WORK/$p.tar.gz")
done
tar -C / -czf "$WORK/usr-lib-x86_64.tar.gz" usr/lib/x86_64-linux-gnu 2>/dev/null || true
LAYERS+=("$WORK/usr-lib-x86_64.tar.gz")
JDK=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
tar -C / -czf "$WORK/jdk.tar.gz" "${JDK#/}" 2>/dev/null || true
LAYERS+=("$WORK/jdk.tar.gz")

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

BASE="$OUT/scan-baseline.tsv"
echo -e "layer\tcompressed_MB\tcpu_s_median\tMB_per_cpu_s" > "$BASE"
for l in "${LAYERS[@]}"; do
  mb=$(awk -v b="$(stat -c %s "$l")" 'BEGIN {printf "%.1f", b/1e6}')
  # repeat small layers inside one measurement: rusage counts in 10 ms steps
  reps=$(awk -v b="$(stat -c %s "$l")" 'BEGIN {r = int(50e6 / b); print (r < 1) ? 1 : r}')
  for i in $(seq "$RUNS"); do
    /usr/bin/time -f "%U %S" -o "$WORK/t" sh -c "for j in \$(seq $reps); do gzip -dc '$l' | tar -t > /dev/null; done"
    awk -v r="$reps" '{print ($1 + $2) / r}' "$WORK/t"
  done > "$WORK/times"
  cpu=$(median < "$WORK/times")
  echo -e "$(basename "$l")\t$mb\t$cpu\t$(awk -v b="$(stat -c %s "$l")" -v c="$cpu" 'BEGIN {printf "%.1f", b/1e6/c}')" >> "$BASE"
done

cd "$ROOT"
mvn -B -q -pl proxy-server -am compile dependency:build-classpath -Dmdep.outputFile="$WORK/cp" >/dev/null
CP="$ROOT/proxy-server/target/classes:$(cat "$WORK/cp")"
IMAGES=(
  "image=nginx-like:$WORK/libc6.tar.gz,$WORK/curl.tar.gz,$WORK/nginx.tar.gz"
  "image=python-like:$WORK/libc6.tar.gz,$WORK/python3.11-minimal.tar.gz"
  "image=qemu-like:$WORK/libc6.tar.gz,$WORK/qemu-system-x86.tar.gz"
  "image=gpu-userland-like:$WORK/libc6.tar.gz,$WORK/libgl1-mesa-dri.tar.gz,$WORK/mesa-vulkan-drivers.tar.gz,$WORK/intel-opencl-icd.tar.gz"
  "image=jdk-like:$WORK/libc6.tar.gz,$WORK/jdk.tar.gz"
)
/usr/bin/time -f "%M" -o "$WORK/rss" java -Xmx"${HEAP:-256m}" -Druns="$RUNS" -cp "$CP" "$HERE/ScanBench.java" \
  "${LAYERS[@]}" "${IMAGES[@]}" > "$OUT/scan-gantry.tsv"
echo "max RSS of the scanning JVM (-Xmx${HEAP:-256m}): $(( $(cat "$WORK/rss") / 1024 )) MiB" >> "$OUT/scan-gantry.tsv"

echo "== gzip -dc | tar -t"; column -t -s $'\t' "$BASE"
echo; echo "== gantry LayerScanner"; column -t -s $'\t' "$OUT/scan-gantry.tsv"
echo; echo "== ratio (gantry MB/cpu-s ÷ baseline MB/cpu-s)"
join -t $'\t' <(tail -n +2 "$BASE" | cut -f1,4 | sort) \
  <(awk -F'\t' 'NR>1 && NF==7 {print $1"\t"$5"\t"$2/$7}' "$OUT/scan-gantry.tsv" | sort) \
  | awk -F'\t' 'BEGIN {print "layer\tratio\tbound (inflating and walking only)"} {printf "%s\t%.2f\t%.2f\n", $1, $3/$2, $4/$2}' \
  | column -t -s $'\t'
# All layers together: total compressed MB over total CPU seconds, each side.
join -t $'\t' <(tail -n +2 "$BASE" | cut -f1,2,3 | sort) \
  <(awk -F'\t' 'NR>1 && NF==7 {print $1"\t"$3}' "$OUT/scan-gantry.tsv" | sort) \
  | awk -F'\t' '{mb += $2; base += $3; gantry += $4}
      END {printf "all layers: %.1f MB, gzip+tar %.1f MB/cpu-s, gantry %.1f MB/cpu-s, ratio %.2f\n", mb, mb/base, mb/gantry, base/gantry}'
