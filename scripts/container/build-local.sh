#!/usr/bin/env bash
# Builds the image from the repository's Dockerfile on local base images and smoke-tests what is inside,
# on a machine with no container registry and no GPU (docs/container.md). Needs root, podman, debootstrap
# and the CUDA toolkit in /usr/local/cuda.
#
# Measured on the 2-core development machine (vfs storage copies the whole file system at every layer, which
# is most of the time): about 25 minutes the first time (debootstrap 3 min, the builder base 2.5 min, npm ci
# 4 min, the addon for one architecture 9 min, the layers and their clean-up the rest); 7 minutes when every
# base and layer is cached.
#
#   scripts/container/build-local.sh
#
# Environment:
#   GSM_CONTAINER_CACHE  where the Debian root file system and the Node staging tree are kept
#                        (default /var/tmp/gsm-container)
#   GPUSHARE_CUDA_ARCHS  architectures the addon is compiled for (default 90a-real: one, to keep it short)
#   GSM_IMAGE            the image's name (default localhost/gpushare-micro:test)
#   GSM_BUILD_CA         a CA bundle the builder base trusts, for npm ci behind a TLS-intercepting proxy
#                        (default $NODE_EXTRA_CA_CERTS, if set)
#
# Local bases (made once, then reused):
#   localhost/gsm-debian:bookworm   Debian 12 minbase from debootstrap: the runtime base. It has no CUDA
#                                   libraries, and needs none for what is checked here: the addon links cudart
#                                   statically and opens the driver, NVML and the CUDA libraries with dlopen,
#                                   so `info` loads it and reports that there is no usable GPU.
#   localhost/gsm-cuda-devel:13     that + g++, make, cmake from Debian + this machine's /usr/local/cuda
#                                   (+ GSM_BUILD_CA); remove it (podman rmi) to make it again
#   localhost/gsm-node:<version>    this machine's node and npm under /opt/node (the Dockerfile's NODE_IMAGE)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${GSM_CONTAINER_CACHE:-/var/tmp/gsm-container}
archs=${GPUSHARE_CUDA_ARCHS:-90a-real}
image=${GSM_IMAGE:-localhost/gpushare-micro:test}
build_ca=${GSM_BUILD_CA:-${NODE_EXTRA_CA_CERTS:-}}
[ -z "$build_ca" ] || [ -f "$build_ca" ] || { echo "build-local: no CA bundle at $build_ca (GSM_BUILD_CA)" >&2; exit 1; }
podman=(podman --storage-driver=vfs)
started=$SECONDS
failures=0

step() { printf '\n== %s (%ss)\n' "$1" "$((SECONDS - started))"; }
have_image() { "${podman[@]}" image exists "$1"; }
pass() { printf 'ok    %s\n' "$1"; }
fail() {
  printf 'FAIL  %s\n' "$1"
  failures=$((failures + 1))
}

for tool in podman debootstrap node npm; do
  command -v "$tool" >/dev/null || { echo "build-local: $tool is not installed (apt-get install podman uidmap fuse-overlayfs slirp4netns debootstrap)" >&2; exit 1; }
done
[ -x /usr/local/cuda/bin/nvcc ] || { echo 'build-local: no CUDA toolkit in /usr/local/cuda (nvcc is needed by the builder base)' >&2; exit 1; }
mkdir -p "$cache"

debian=localhost/gsm-debian:bookworm
if ! have_image "$debian"; then
  step "making $debian with debootstrap"
  rm -rf "$cache/rootfs"
  debootstrap --variant=minbase bookworm "$cache/rootfs" http://deb.debian.org/debian
  tar -C "$cache/rootfs" -c . | "${podman[@]}" import - "$debian"
fi

node_version=$(node --version)
node_image=localhost/gsm-node:${node_version#v}
if ! have_image "$node_image"; then
  step "making $node_image from $(command -v node) and npm"
  npm_dir=$(npm root -g)/npm
  staging="$cache/node"
  rm -rf "$staging"
  mkdir -p "$staging/opt/node/bin" "$staging/opt/node/lib/node_modules"
  cp "$(readlink -f "$(command -v node)")" "$staging/opt/node/bin/node"
  cp -r "$npm_dir" "$staging/opt/node/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$staging/opt/node/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$staging/opt/node/bin/npx"
  tar -C "$staging" -c . | "${podman[@]}" import - "$node_image"
fi

devel=localhost/gsm-cuda-devel:13
if ! have_image "$devel"; then
  step "making $devel ($debian + g++, make, cmake + /usr/local/cuda${build_ca:+ + the CA bundle $build_ca})"
  # A network that intercepts TLS (this sandbox's egress proxy) needs its CA for npm ci: the builder base
  # trusts it through NODE_EXTRA_CA_CERTS. Only the local builder base has it, never the image built.
  ca_lines=()
  mounts=()
  if [ -n "$build_ca" ]; then
    mounts=(-v "$build_ca:/tmp/build-ca.crt:ro")
    ca_lines=('RUN mkdir -p /etc/ssl/certs && cp /tmp/build-ca.crt /etc/ssl/certs/build-ca.crt' 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/build-ca.crt')
  fi
  {
    echo "FROM $debian"
    echo 'RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends g++ make cmake && rm -rf /var/lib/apt/lists/*'
    echo 'COPY . /usr/local/cuda/'
    echo 'ENV PATH=/usr/local/cuda/bin:$PATH'
    printf '%s\n' "${ca_lines[@]}"
  } | "${podman[@]}" build --isolation=chroot "${mounts[@]}" -t "$devel" -f - "$(readlink -f /usr/local/cuda)"
fi

step "building $image from the Dockerfile (GPUSHARE_CUDA_ARCHS=$archs)"
# --format docker: the OCI image format has no HEALTHCHECK, and podman would drop it.
"${podman[@]}" build --isolation=chroot --format docker \
  --build-arg BUILDER_BASE="$devel" --build-arg RUNTIME_BASE="$debian" --build-arg NODE_IMAGE="$node_image" \
  --build-arg GPUSHARE_CUDA_ARCHS="$archs" -t "$image" "$root"

step "smoke test of $image"
user=$("${podman[@]}" image inspect --format '{{.Config.User}}' "$image")
case "$user" in '' | root | 0 | 0:*) fail "the image runs as root (User '$user')" ;; *) pass "the image's user is $user, not root" ;; esac
entrypoint=$("${podman[@]}" image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' "$image")
[ "$entrypoint" = '["gpushare-micro"] ["info"]' ] && pass "entrypoint and command: $entrypoint" || fail "entrypoint and command: $entrypoint"
health=$("${podman[@]}" image inspect --format '{{json .HealthCheck}}' "$image")
[[ "$health" == *'info --json'* ]] && pass "healthcheck: $health" || fail "no healthcheck on info (got $health)"

mnt=$("${podman[@]}" image mount "$image")
trap '"${podman[@]}" image unmount "$image" >/dev/null' EXIT
uid=${user%%:*}
gid=${user#*:}
# The image's environment (its Env), and nothing of this shell's.
mapfile -t image_env < <("${podman[@]}" image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$image" | grep .)
[[ " ${image_env[*]} " != *NODE_EXTRA_CA_CERTS* ]] && pass "the image's environment: ${image_env[*]}" || fail "the build's CA setting leaked into the image: ${image_env[*]}"
# Runs a command in the mounted image as its user would: with its environment, from its working directory.
in_image() { chroot --userspec="$uid:${gid:-$uid}" "$mnt" /usr/bin/env -i "${image_env[@]}" /bin/sh -c 'cd /data && exec "$@"' sh "$@"; }
# expect CODE PATTERN DESCRIPTION COMMAND...: the command exits CODE and its output matches PATTERN.
expect() {
  local code=$1 pattern=$2 what=$3 out rc
  shift 3
  set +e
  out=$(in_image "$@" 2>&1)
  rc=$?
  set -e
  last_out=$out
  if [ "$rc" = "$code" ] && grep -Eq -- "$pattern" <<<"$out"; then
    pass "$what: exit $rc, $(head -1 <<<"$out" | cut -c1-120)"
  else
    fail "$what: exit $rc (expected $code), output: $(head -3 <<<"$out")"
  fi
}

# one_line WHAT: the last command printed exactly one line (nothing else on stdout or stderr).
one_line() { [ "$(wc -l <<<"$last_out")" = 1 ] && pass "$1: one line" || fail "$1: $(wc -l <<<"$last_out") lines: $(head -3 <<<"$last_out")"; }

addon="$mnt/app/build/Release/gpushare_micro.node"
[ -f "$addon" ] && pass "the addon is in the image ($(du -h "$addon" | cut -f1) at /app/build/Release)" || fail "no addon at /app/build/Release/gpushare_micro.node"
for dev in typescript vitest @biomejs/biome ajv kubernetes-models; do
  [ ! -e "$mnt/app/node_modules/$dev/package.json" ] || fail "a devDependency is in the image: node_modules/$dev"
done
[ -d "$mnt/app/node_modules/commander" ] && pass 'production dependencies only (commander present; typescript, vitest, biome, ajv, kubernetes-models absent)' || fail 'node_modules/commander is missing'
version=$(node -p "require('$root/package.json').version")
expect 0 "^$version\$" 'gpushare-micro --version' gpushare-micro --version
one_line 'gpushare-micro --version'
expect 0 "^$version\$" 'node /app/dist/cli/main.js --version' node /app/dist/cli/main.js --version
one_line 'node /app/dist/cli/main.js --version'
expect 0 '^gpushare-micro [0-9.]+: no usable NVIDIA GPU: ' 'info without a GPU' gpushare-micro info
one_line 'info without a GPU'
expect 0 "\"cudaArchitectures\": \"${archs//;/,}\"" 'info --json: the addon loaded, built for the asked architectures' gpushare-micro info --json
expect 0 'train\+infer' 'scenario list' gpushare-micro scenario list
expect 2 "^gpushare-micro: unknown option '--bogus'" 'a bad option' gpushare-micro --bogus
one_line 'a bad option'
expect 3 'no usable NVIDIA GPU' 'run without a GPU' gpushare-micro run -p 2 -d 1s

step "done"
if [ "$failures" -gt 0 ]; then
  echo "build-local: $failures check(s) failed"
  exit 1
fi
echo "build-local: $image built and checked in $((SECONDS - started))s"
