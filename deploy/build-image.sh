#!/usr/bin/env bash
# Builds the reference broker's container image from deploy/Dockerfile
# (docs/DEPLOY.md, «Container image»), with Docker or Podman, from the repository root.
#
#   deploy/build-image.sh [TAG]                 # TAG defaults to reference-broker:latest
#
# Environment:
#   CONTAINER_TOOL   docker or podman; by default docker if its daemon answers, else podman.
#   RUST_IMAGE       the builder's base image (default: the Dockerfile's, rust:1.94-slim-bookworm).
#   RUNTIME_IMAGE    the runtime's base image (default: distroless/cc-debian12:nonroot).
#   LOCAL_BASES=1    for a machine that cannot pull from docker.io and gcr.io: build
#                    stand-in base images here first, with Podman and Buildah, as root:
#                    a Debian 12 root file system from debootstrap (deb.debian.org) as
#                    the runtime (with a shell, unlike distroless), and the same with gcc
#                    and this machine's Rust toolchain (`rustc --print sysroot`, 1.94 or
#                    later) as the builder. The builder trusts the certificate
#                    authorities this machine trusts (cargo fetches from crates.io while
#                    building). The stand-ins are kept (localhost/osb-local/…) and reused.
#
# On a host with cgroups v1 and v2 mounted together ("hybrid") and controllers on v2,
# crun refuses to run the build's RUN steps ("cgroups in hybrid mode not supported,
# drop all controllers from cgroupv2"); Podman is then told to use runc.
set -euo pipefail
cd "$(dirname "$0")/.."

tag="${1:-reference-broker:latest}"
started=$(date +%s)

tool="${CONTAINER_TOOL:-}"
if [ -z "$tool" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    tool=docker
  elif command -v podman >/dev/null 2>&1; then
    tool=podman
  else
    echo "build-image: neither a Docker daemon nor podman is available" >&2
    exit 1
  fi
fi

runtime_args=()
# (cgroup files report a size of 0: read them.)
if [ "$tool" = podman ] && [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
  if command -v runc >/dev/null 2>&1; then
    runtime_args=(--runtime runc)
  else
    echo "build-image: cgroups in hybrid mode, which crun refuses: install runc" >&2
    exit 1
  fi
fi

if [ "${LOCAL_BASES:-0}" = 1 ]; then
  if [ "$tool" != podman ]; then
    echo "build-image: LOCAL_BASES=1 needs podman (and buildah, debootstrap)" >&2
    exit 1
  fi
  debian=localhost/osb-local/debian:bookworm
  rust=localhost/osb-local/rust:bookworm
  if ! podman image exists "$debian"; then
    echo "== stand-in runtime base $debian (debootstrap)"
    rootfs=$(mktemp -d)
    debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >/dev/null
    tar -C "$rootfs" -c . | podman import - "$debian"
    rm -rf "$rootfs"
  fi
  if ! podman image exists "$rust"; then
    echo "== stand-in builder base $rust (gcc and $(rustc --version))"
    sysroot=$(rustc --print sysroot)
    container=$(buildah from "$debian")
    buildah run --isolation chroot "$container" -- sh -c \
      'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc libc6-dev ca-certificates >/dev/null'
    buildah copy "$container" "$sysroot/bin" /usr/local/rust/bin >/dev/null
    buildah copy "$container" "$sysroot/lib" /usr/local/rust/lib >/dev/null
    buildah copy "$container" /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt >/dev/null
    buildah config \
      --env PATH=/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      --env CARGO_HOME=/usr/local/cargo "$container"
    buildah commit --rm "$container" "$rust" >/dev/null
  fi
  RUST_IMAGE="$rust"
  RUNTIME_IMAGE="$debian"
fi

build_args=()
if [ -n "${RUST_IMAGE:-}" ]; then
  build_args+=(--build-arg "RUST_IMAGE=$RUST_IMAGE")
fi
if [ -n "${RUNTIME_IMAGE:-}" ]; then
  build_args+=(--build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE")
fi

echo "== $tool build -f deploy/Dockerfile -t $tag ${runtime_args[*]} ${build_args[*]}"
"$tool" build "${runtime_args[@]}" "${build_args[@]}" -f deploy/Dockerfile -t "$tag" .

echo "== built $tag in $(( $(date +%s) - started )) s"
"$tool" image inspect "$tag" --format '{{.Id}} {{.Size}} bytes'
