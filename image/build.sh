#!/usr/bin/env bash
# Builds Gantry's OCI image without a container engine or registry access:
# mmdebstrap makes a minimal Debian bookworm root filesystem holding only a
# headless JRE 17 and CA certificates (from the Debian mirror alone), and
# buildah turns it into an image of three layers:
#
#   1. the root filesystem (Debian + JRE, the gantry user, /var/lib/gantry)
#   2. the default configuration, /etc/gantry/gantry.yaml (image/gantry.yaml)
#   3. the application, /opt/gantry/gantry.jar, alone: a new build of Gantry
#      changes only this layer, so hosts that have the others fetch just it.
#
# The root filesystem is cached as a tarball under image/.cache (gitignored),
# keyed by everything that decides its content (packages, mirrors, the strip
# rules), and rebuilt when older than GANTRY_ROOTFS_MAX_AGE_DAYS so Debian's
# security updates get in.
#
# Usage: image/build.sh [--jar FILE] [--tag NAME] [--push DEST] [--refresh]
#   --jar FILE   the application (default proxy-server/target/gantry.jar, built if missing)
#   --tag NAME   the local image name (default localhost/gantry:VERSION)
#   --push DEST  also write the image there, as `buildah push` does:
#                oci:DIR, oci-archive:FILE, docker://HOST/REPO:TAG (after
#                `buildah login HOST`) ...
#   --refresh    rebuild the root filesystem even if a fresh one is cached
#
# Environment: STORAGE_DRIVER (default vfs, works anywhere: no overlay or fuse
# needed), CONTAINERS_STORAGE_CONF (buildah's store), GANTRY_DEBIAN_MIRROR,
# GANTRY_DEBIAN_SECURITY_MIRROR, GANTRY_IMAGE_CACHE, GANTRY_ROOTFS_MAX_AGE_DAYS
# (default 7), GANTRY_SOURCE_URL and GANTRY_LICENSE (OCI labels).
# Needs mmdebstrap and buildah (Debian packages) and runs as root; rootless
# use would need subordinate ids for both tools' user namespaces (untested).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$here/proxy-server/target/gantry.jar"
tag=""
push=""
refresh=false
while [ $# -gt 0 ]; do
  case "$1" in
    --jar) jar="$(realpath "$2")"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --push) push="$2"; shift 2 ;;
    --refresh) refresh=true; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

log() { printf 'image/build.sh: %s\n' "$*" >&2; }
for tool in mmdebstrap mmtarfilter buildah java; do
  command -v "$tool" >/dev/null || { log "$tool is not installed (Debian: apt-get install mmdebstrap buildah)"; exit 1; }
done

# vfs needs nothing from the kernel or the host's filesystem; an operator
# with a configured store can choose another driver.
export STORAGE_DRIVER="${STORAGE_DRIVER:-vfs}"

if [ ! -f "$jar" ]; then
  log "building $jar"
  (cd "$here" && mvn -B -q -DskipTests package) >&2
fi

# --- what the image says about itself -------------------------------------

version="$(java -jar "$jar" --version | awk '{print $2}')"
revision="$(git -C "$here" rev-parse HEAD 2>/dev/null || echo unknown)"
source_url="${GANTRY_SOURCE_URL:-$(git -C "$here" remote get-url origin 2>/dev/null || echo unknown)}"
# The project declares no license yet; NOASSERTION is SPDX for "not stated".
license="${GANTRY_LICENSE:-NOASSERTION}"
tag="${tag:-localhost/gantry:$version}"

# The JVM flags operators run with are bin/gantry's; read them from there so
# the image cannot drift from the launcher.
jvm_opts_text="$(sed -n '/^default_opts=(/,/)/p' "$here/bin/gantry" | tr '\n' ' ' | sed -e 's/^default_opts=(//' -e 's/).*$//')"
read -r -a jvm_opts <<<"$jvm_opts_text"
if [ ${#jvm_opts[@]} -eq 0 ]; then
  log "no default_opts=(...) in bin/gantry"
  exit 1
fi
for opt in "${jvm_opts[@]}"; do
  case "$opt" in -*) ;; *) log "unexpected JVM flag '$opt' in bin/gantry"; exit 1 ;; esac
done

uid=65532 # the same as distroless's nonroot, so both images own /var/lib/gantry alike
jar_path=/opt/gantry/gantry.jar
config_path=/etc/gantry/gantry.yaml
data_dir=/var/lib/gantry

# --- the root filesystem ---------------------------------------------------

arch="$(dpkg --print-architecture)"
suite=bookworm
mirror="${GANTRY_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security_mirror="${GANTRY_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
packages=openjdk-17-jre-headless,ca-certificates

# Everything that decides the tarball's content; its hash is the cache key.
# The essential variant is minbase without apt and the Priority: required
# set: the JRE's dependencies bring what it needs. merged-usr gets /usr
# merged the way Debian does without usrmerge (and so without perl).
mm_args=(
  --variant=essential --architectures="$arch" --include="$packages"
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
  # Never unpacked: documentation (copyright files stay: they are the licenses),
  # manual pages, translations, and the JDK files only javac (ct.sym) or
  # heaps over 32 GiB (classes_nocoops.jsa) use.
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/lintian/*'
  --dpkgopt='path-exclude=/usr/lib/jvm/*/lib/ct.sym'
  --dpkgopt='path-exclude=/usr/lib/jvm/*/lib/server/classes_nocoops.jsa'
  # update-alternatives links java's manual page and fails if the directory is missing.
  --essential-hook='mkdir -p "$1/usr/share/man/man1"'
  # The runtime mounts its own resolv.conf and hostname; logs and -old
  # files are build leftovers.
  --customize-hook='rm -rf "$1/usr/share/man" "$1"/var/log/* "$1"/var/cache/debconf/*-old "$1"/var/lib/dpkg/*-old "$1/etc/resolv.conf" "$1/etc/hostname"'
  # The user the image runs as (no shadow file: like base-passwd's users, it has no password).
  --customize-hook="echo 'gantry:*:$uid:$uid:Gantry:$data_dir:/usr/sbin/nologin' >>\"\$1/etc/passwd\"; echo 'gantry:*:$uid:' >>\"\$1/etc/group\""
  --customize-hook="install -d -o $uid -g $uid -m 0750 \"\$1$data_dir\""
  "$suite" -
  "deb $mirror $suite main"
  "deb $mirror $suite-updates main"
  "deb $security_mirror $suite-security main"
)
# Left out of the tarball: mmdebstrap populates /dev for its chroot (the
# runtime brings its own), and apt leaves its lock files behind.
filter_args=(--path-exclude='/dev/*' --path-exclude='/var/lib/apt/lists/*' --path-exclude='/var/cache/apt/*')
key="$(printf '%s\n' "${mm_args[@]}" "${filter_args[@]}" | sha256sum | cut -c1-16)"
cache="${GANTRY_IMAGE_CACHE:-$here/image/.cache}"
rootfs="$cache/rootfs-$suite-$arch-$key.tar"
max_age_days="${GANTRY_ROOTFS_MAX_AGE_DAYS:-7}"
mkdir -p "$cache"

# One build of the tarball at a time; a second caller waits and reuses it.
exec 9>"$cache/.lock"
flock 9
if $refresh || [ ! -f "$rootfs" ] || [ -n "$(find "$rootfs" -mtime +"$max_age_days")" ]; then
  log "root filesystem: mmdebstrap $suite/$arch with $packages (from $mirror)"
  start=$SECONDS
  if ! mmdebstrap "${mm_args[@]}" 2>"$cache/mmdebstrap.log" | mmtarfilter "${filter_args[@]}" >"$rootfs.partial"; then
    rm -f "$rootfs.partial"
    tail -n 40 "$cache/mmdebstrap.log" >&2
    log "mmdebstrap failed (whole log: $cache/mmdebstrap.log)"
    exit 1
  fi
  mv "$rootfs.partial" "$rootfs"
  find "$cache" -maxdepth 1 -name "rootfs-$suite-$arch-*.tar" ! -path "$rootfs" -delete
  log "root filesystem built in $((SECONDS - start))s: $rootfs"
else
  log "root filesystem cached: $rootfs"
fi
flock -u 9

# --- the image -------------------------------------------------------------

# Each commit of a working container adds exactly one layer: commit after
# each step to keep the root filesystem, the configuration and the jar apart.
# Intermediate images have no name and are removed at the end (their layers
# stay, shared with the final image).
container=""
intermediate=()
cleanup() {
  if [ -n "$container" ]; then buildah rm "$container" >/dev/null 2>&1 || true; fi
  for i in "${intermediate[@]}"; do buildah rmi "$i" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

next_layer() { container="$(buildah from --pull=never "$1")"; }
commit_intermediate() {
  intermediate+=("$(buildah commit --quiet --rm "$container")")
  container=""
}

start=$SECONDS
next_layer scratch
buildah add --quiet "$container" "$rootfs" / >/dev/null
buildah config --created-by "mmdebstrap $suite $arch: $packages" "$container"
commit_intermediate

next_layer "${intermediate[-1]}"
buildah add --quiet --chown 0:0 --chmod 0644 "$container" "$here/image/gantry.yaml" "$config_path" >/dev/null
buildah config --created-by "image/gantry.yaml -> $config_path" "$container"
commit_intermediate

next_layer "${intermediate[-1]}"
buildah add --quiet --chown 0:0 --chmod 0644 "$container" "$jar" "$jar_path" >/dev/null
created="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
entrypoint="$(printf '"%s",' /usr/bin/java "${jvm_opts[@]}" -jar "$jar_path")"
buildah config \
  --entrypoint "[${entrypoint%,}]" \
  --cmd "[\"serve\",\"--config\",\"$config_path\"]" \
  --user "$uid:$uid" \
  --workingdir "$data_dir" \
  --port 5000/tcp \
  --volume "$data_dir" \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env LANG=C.UTF-8 \
  --stop-signal SIGTERM \
  --created-by "gantry.jar $version -> $jar_path" \
  --label org.opencontainers.image.title=Gantry \
  --label "org.opencontainers.image.description=Hardware-aware OCI registry pull-through mirror" \
  --label "org.opencontainers.image.source=$source_url" \
  --label "org.opencontainers.image.version=$version" \
  --label "org.opencontainers.image.revision=$revision" \
  --label "org.opencontainers.image.created=$created" \
  --label "org.opencontainers.image.licenses=$license" \
  "$container"

previous="$(buildah images --noheading --no-trunc --format '{{.ID}}' "$tag" 2>/dev/null || true)"
image="$(buildah commit --quiet --rm --format oci "$container" "$tag")"
container=""
# The tag moved: the old image would only take space (vfs copies every layer).
if [ -n "$previous" ] && [ "${previous#sha256:}" != "${image#sha256:}" ]; then
  buildah rmi "$previous" >/dev/null 2>&1 || true
fi
log "image $tag ($image) built in $((SECONDS - start))s"

if [ -n "$push" ]; then
  buildah push --quiet "$tag" "$push"
  log "pushed to $push"
fi
echo "$tag"
