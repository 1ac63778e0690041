#!/bin/sh
# Build the test guest for test/harness/qemu-guest.ts:
#   OUT/vmlinuz            Debian's cloud kernel (resolved through linux-image-cloud-amd64)
#   OUT/initramfs.cpio.gz  busybox-static + virtio balloon modules + init.sh as /init
# usage: build-assets.sh OUT
# Quick no-op when OUT already holds both files built from the same init.sh and this
# script (their sha256 is kept in OUT/stamp; qemu-guest.ts computes the same hash).
# The kernel package is cached as OUT/kernel.deb, so a rebuild after editing init.sh
# needs no network. Needs (Debian/Ubuntu, root for mknod):
#   apt-get install -y --no-install-recommends qemu-system-x86 busybox-static
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
SELF="$HERE/$(basename "$0")"
OUT=${1:?usage: build-assets.sh OUT}
META=${KMETA:-linux-image-cloud-amd64}
MODS="virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_balloon"
die() { echo "build-assets: error: $*" >&2; exit 1; }
log() { echo "build-assets: $*" >&2; }

STAMP=$(cat "$HERE/init.sh" "$SELF" | sha256sum | cut -d' ' -f1)
uptodate() {
  [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initramfs.cpio.gz" ] && [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$STAMP" ]
}
if uptodate; then log "$OUT is up to date"; exit 0; fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# one builder at a time; whoever waited finds the work done
if command -v flock >/dev/null 2>&1; then
  exec 9>"$OUT/.lock"
  flock -w 900 9 || die "timed out waiting for another build in $OUT"
  if uptodate; then log "$OUT is up to date"; exit 0; fi
fi

for t in apt-get apt-cache dpkg-deb dpkg-query tar gzip sha256sum; do
  command -v $t >/dev/null 2>&1 || die "'$t' not found: this needs a Debian/Ubuntu host with apt"
done
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' && [ -x /bin/busybox ] ||
  die "busybox-static is not installed (a static /bin/busybox is the guest's userland): apt-get install -y --no-install-recommends busybox-static qemu-system-x86"

B="$OUT/build.$$"
trap 'rm -rf "$B"' EXIT
rm -rf "$B"; mkdir -p "$B"

# ---- kernel package: cached, else resolved through the metapackage and downloaded
resolve() { apt-cache depends "$META" 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}'; }
download() { # $1 = package; leaves exactly one .deb in $B/dl
  rm -rf "$B/dl"; mkdir -p "$B/dl"
  (cd "$B/dl" && apt-get download "$1") >"$B/apt.log" 2>&1
}
if [ ! -s "$OUT/kernel.deb" ]; then
  KPKG=${KPKG:-$(resolve)}
  if [ -z "$KPKG" ] || ! download "$KPKG"; then
    log "apt-get download ${KPKG:-$META} failed; running apt-get update"
    apt-get update >"$B/update.log" 2>&1 || { cat "$B/update.log" >&2; die "apt-get update failed"; }
    KPKG=${KPKG:-$(resolve)}
    [ -n "$KPKG" ] || die "package $META not found in the apt sources (needs Debian's main archive, e.g. bookworm)"
    download "$KPKG" || { cat "$B/apt.log" >&2; die "apt-get download $KPKG failed"; }
  fi
  set -- "$B"/dl/*.deb
  [ -s "$1" ] || die "apt-get download $KPKG produced no .deb"
  mv "$1" "$OUT/kernel.deb.tmp" && mv "$OUT/kernel.deb.tmp" "$OUT/kernel.deb"
  echo "$KPKG" > "$OUT/kernel.pkg"
fi

# ---- vmlinuz + virtio modules out of the .deb
dpkg-deb --fsys-tarfile "$OUT/kernel.deb" > "$B/kernel.tar" || die "$OUT/kernel.deb is not a valid package (delete it to download again)"
VMLINUZ=$(tar -tf "$B/kernel.tar" | grep -m1 '^\./boot/vmlinuz-') || die "no /boot/vmlinuz-* in $OUT/kernel.deb"
KVER=${VMLINUZ#./boot/vmlinuz-}
mkdir -p "$B/k"
tar -xf "$B/kernel.tar" -C "$B/k" "$VMLINUZ"
tar -xf "$B/kernel.tar" -C "$B/k" --wildcards "./lib/modules/$KVER/kernel/drivers/virtio/*" "./lib/modules/$KVER/modules.builtin" 2>/dev/null ||
  tar -xf "$B/kernel.tar" -C "$B/k" --wildcards "./lib/modules/$KVER/kernel/drivers/virtio/*"
rm -f "$B/kernel.tar"

R="$B/rootfs"; mkdir -p "$R/bin" "$R/proc" "$R/sys" "$R/dev" "$R/mnt/hog" "$R/lib/modules"
cp /bin/busybox "$R/bin/busybox"
MD="$B/k/lib/modules/$KVER/kernel/drivers/virtio"
for m in $MODS; do
  if [ -f "$MD/$m.ko" ]; then cp "$MD/$m.ko" "$R/lib/modules/"
  elif [ -f "$MD/$m.ko.xz" ]; then /bin/busybox unxz -c "$MD/$m.ko.xz" > "$R/lib/modules/$m.ko"
  elif grep -q "/$m\.ko" "$B/k/lib/modules/$KVER/modules.builtin" 2>/dev/null; then :  # built in
  else die "kernel $KVER has no module $m (looked for .ko and .ko.xz in drivers/virtio)"
  fi
done
cp "$HERE/init.sh" "$R/init"; chmod 755 "$R/init"
mknod -m 600 "$R/dev/console" c 5 1 && mknod -m 666 "$R/dev/null" c 1 3 ||
  log "warning: mknod failed (not root?); relying on the kernel's built-in /dev/console"
(cd "$R" && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1) > "$B/initramfs.cpio.gz"
cp "$B/k/boot/vmlinuz-$KVER" "$B/vmlinuz"

# ---- publish: files first, stamp last
mv "$B/vmlinuz" "$OUT/vmlinuz"
mv "$B/initramfs.cpio.gz" "$OUT/initramfs.cpio.gz"
echo "$KVER" > "$OUT/kernel.version"
echo "$STAMP" > "$OUT/stamp"
log "built $OUT (kernel $KVER): $(ls -l "$OUT/vmlinuz" "$OUT/initramfs.cpio.gz" | awk '{printf "%s %s  ", $9, $5}')"
