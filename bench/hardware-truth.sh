#!/usr/bin/env bash
# Hardware truth by execution (issue 12): every image of the truth corpus
# (gcc-compiled programs, Go programs, real Debian packages; amd64 and arm64)
# runs in a chroot of its root file system under every QEMU user-mode CPU
# model (x86-64-v1, Nehalem, SandyBridge, Haswell; cortex-a72, max), beside
# Gantry's `check` verdict for that model's CPU flags. Prints the matrix
# (image x model: what happened / Gantry's verdict), each mismatch with the
# evidence behind it, and the counts: false refusals, false passes,
# precision and recall of required CPU features; then the hardware-class
# rows (device images: KVM, RDMA, TPM, DRM, video4linux, each run with no
# device: "device missing: CLASS" or "ran fine", beside the classes Gantry
# requires and supports) and precision and recall of required hardware
# classes per class and overall.
#
# It runs the integration test HardwareTruthIT (which asserts 0 false refusals,
# 0 false passes, precision and recall >= 0.97) and prints the matrix it
# wrote, whether or not the assertions held; the exit status is the test's.
# Needs root (chroot, mount namespaces) and bin/test-deps (qemu-user-static,
# gcc, the arm64 cross compiler, go); the .debs (about 85 MB) are cached in
# ~/.cache/gantry-test. About 3-5 minutes on 2 cores once cached.
#
#   bench/hardware-truth.sh
set -uo pipefail

HERE=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
cd "$HERE"
report=proxy-server/target/hardware-truth.txt
rm -f "$report"
log=$(mktemp)
# schema and proxy-server in one reactor: this checkout's schema, never an older one from ~/.m2
mvn -B -o -pl schema,proxy-server verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
    -Dfailsafe.failIfNoSpecifiedTests=false -Dit.test=HardwareTruthIT >"$log" 2>&1
status=$?
if [ -s "$report" ]; then
    cat "$report"
else
    tail -n 60 "$log"
fi
grep -E "Tests run:|FAIL" "$log" | tail -n 8
rm -f "$log"
exit $status
