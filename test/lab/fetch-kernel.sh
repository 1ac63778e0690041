#!/bin/bash
# fetch-kernel.sh SUITE OUT: Debian's stock kernel of SUITE (bookworm = 6.1, trixie = 6.12)
# unpacked into OUT/k (boot/vmlinuz-*, lib/modules/* or usr/lib/modules/*), through a
# private apt state in OUT/apt: the host's apt state is untouched. The archive is the
# one the host's own apt sources name. Cached: a second call with OUT/k in place does
# nothing. After the recipe in ../shared/kvm-lab/fetch-kernel.sh (measured 2026-12-05).
set -euo pipefail
SUITE=${1:?usage: fetch-kernel.sh SUITE OUT}; OUT=${2:?usage: fetch-kernel.sh SUITE OUT}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
if [ -d "$OUT/k/boot" ]; then echo "fetch-kernel: $OUT holds $(cat "$OUT/kernel.pkg")"; exit 0; fi
MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$MIRROR" ] || MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$MIRROR" ] || { echo "fetch-kernel: no Debian archive in the host's apt sources" >&2; exit 1; }
A="$OUT/apt"; mkdir -p "$A/lists/partial" "$A/cache/archives/partial"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" > "$A/sources.list"
APT=(-o Dir::Etc::sourcelist="$A/sources.list" -o Dir::Etc::sourceparts=/nonexistent
     -o Dir::State::Lists="$A/lists" -o Dir::Cache="$A/cache" -o Dir::State::status=/var/lib/dpkg/status
     -o APT::Sandbox::User=root)
apt-get "${APT[@]}" update >/dev/null
PKG=$(apt-cache "${APT[@]}" depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$PKG" ] || { echo "fetch-kernel: linux-image-amd64 not found in $SUITE" >&2; exit 1; }
rm -rf "$OUT/k.tmp"; mkdir -p "$OUT/k.tmp"
(cd "$OUT" && apt-get "${APT[@]}" download "$PKG" >/dev/null && mv linux-image-*.deb kernel.deb)
dpkg-deb -x "$OUT/kernel.deb" "$OUT/k.tmp"; rm -f "$OUT/kernel.deb"
mv "$OUT/k.tmp" "$OUT/k"
echo "$PKG" > "$OUT/kernel.pkg"; echo "fetch-kernel: $PKG in $OUT/k"
