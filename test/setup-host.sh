#!/bin/sh
# Installs what the test suite needs on a fresh Debian/Ubuntu host, as root:
# bpftrace (the probes), QEMU + busybox (a real guest under TCG), bpftool (probe cost),
# chromium (browser tests), prometheus (a real scrape of /metrics), perf (npm run bench),
# debootstrap (the versions lane's bpftrace 0.23/0.27 chroots), cpio, xz and zstd (the
# lab lane's L1 initramfs from Debian's kernel modules), mounts tracefs, and builds the
# test guest's kernel + initramfs into test/.assets.
# Safe to run again: installed packages and built assets are kept.
set -eu
cd "$(dirname "$0")/.."
PACKAGES="bpftrace qemu-system-x86 busybox-static bpftool util-linux chromium prometheus linux-perf debootstrap cpio xz-utils zstd"
if [ "$(id -u)" != 0 ]; then
  echo "setup-host: run as root (sudo test/setup-host.sh)" >&2
  exit 1
fi
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup-host: installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
if [ ! -d /sys/kernel/tracing/events ]; then
  mount -t tracefs tracefs /sys/kernel/tracing
fi
echo "setup-host: bpftrace $(bpftrace --version | cut -d' ' -f2), $(qemu-system-x86_64 --version | head -1)"
sh test/harness/guest/build-assets.sh test/.assets/guest
echo "setup-host: ready"
