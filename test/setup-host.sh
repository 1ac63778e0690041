#!/bin/sh
# Installs what the test suite needs on a fresh Debian/Ubuntu host, as root:
# bpftrace (the probes), QEMU + busybox (a real guest under TCG), bpftool (probe cost),
# chromium (browser tests), prometheus (a real scrape of /metrics), perf (npm run bench),
# debootstrap (the versions lane's bpftrace 0.23/0.27 chroots), cpio, xz and zstd (the
# lab lane's L1 initramfs from Debian's kernel modules), bpfcc-tools (bcc's
# memleak-bpfcc, the tool `faultline leaks` is tested beside) with kernel headers for it
# to compile against when the running kernel has none, libvirt (libvirt-daemon-system,
# libvirt-clients: test/kernel/libvirt-guest.test.ts runs a libvirtd of its own in a
# private mount namespace; the one the package starts is left alone), mounts tracefs,
# and builds the test guest's kernel + initramfs into test/.assets.
# Safe to run again: installed packages and built assets are kept.
set -eu
cd "$(dirname "$0")/.."
PACKAGES="bpftrace qemu-system-x86 busybox-static bpftool util-linux chromium prometheus linux-perf debootstrap cpio xz-utils zstd bpfcc-tools libvirt-daemon-system libvirt-clients"
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
# memleak-bpfcc compiles its BPF C against /lib/modules/$(uname -r)/build (and source):
# when the running kernel has no headers package (this one: no linux-headers-6.18 in the
# archive), Debian's 6.12 headers are downloaded and unpacked into test/.assets (not
# installed: that would pull in a kernel image) and linked there. memleak only needs
# struct pt_regs, the same on x86-64 across these kernels.
KMOD="/lib/modules/$(uname -r)"
if [ ! -e "$KMOD/build" ] && command -v memleak-bpfcc >/dev/null; then
  hdr=$(apt-cache depends linux-headers-6.12-amd64 2>/dev/null | awk '/Depends: linux-headers-/{print $2; exit}')
  common=$(apt-cache depends "$hdr" 2>/dev/null | awk '/Depends: linux-headers-.*-common/{print $2; exit}')
  if [ -n "$hdr" ] && [ -n "$common" ]; then
    dir="$(pwd)/test/.assets/bcc-headers"
    if [ ! -d "$dir/usr/src/$hdr" ]; then
      mkdir -p "$dir"
      debs=$(mktemp -d); chmod 777 "$debs"
      (cd "$debs" && apt-get download -qq "$hdr" "$common")
      for d in "$debs"/*.deb; do dpkg -x "$d" "$dir"; done
      rm -rf "$debs"
    fi
    mkdir -p "$KMOD"
    ln -sfn "$dir/usr/src/$hdr" "$KMOD/build"
    ln -sfn "$dir/usr/src/$common" "$KMOD/source"
    echo "setup-host: kernel headers for bcc: $hdr, unpacked in test/.assets/bcc-headers, linked from $KMOD"
  else
    echo "setup-host: no linux-headers-6.12-amd64 in the archive: memleak-bpfcc cannot compile (its test fails in CI)" >&2
  fi
fi
if [ ! -d /sys/kernel/tracing/events ]; then
  mount -t tracefs tracefs /sys/kernel/tracing
fi
echo "setup-host: bpftrace $(bpftrace --version | cut -d' ' -f2), $(qemu-system-x86_64 --version | head -1)"
sh test/harness/guest/build-assets.sh test/.assets/guest
echo "setup-host: ready"
