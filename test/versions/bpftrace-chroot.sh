#!/bin/bash
# bpftrace-chroot.sh SUITE build|up|down: Debian SUITE's bpftrace (trixie: 0.23, sid: 0.27) in
# a debootstrap chroot at test/.assets/chroots/SUITE, made once from the archive the
# host's apt uses (the host's apt state is untouched), cached between runs.
#   build builds it if missing (~50 s), mounts nothing (the lab's L1 mounts its own)
#   up    builds it if missing, bind-mounts /proc /sys tracefs debugfs /dev into
#         it, writes the wrapper test/.assets/chroots/SUITE.bpftrace (a bpftrace that
#         faultline's --bpftrace can run) and prints the wrapper's path
#   down  unmounts what `up` mounted (the lane calls it on exit, also on failure)
# Programs reach that bpftrace as text (-e), so nothing of the host needs to be inside.
set -euo pipefail
SUITE=${1:?usage: bpftrace-chroot.sh SUITE build|up|down}; ACTION=${2:?usage: bpftrace-chroot.sh SUITE build|up|down}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR="$ROOT/test/.assets/chroots/$SUITE"
MNTS="proc sys sys/kernel/tracing sys/kernel/debug dev dev/pts"
if [ "$ACTION" = down ]; then
  for m in $(echo $MNTS | tr ' ' '\n' | tac); do
    if mountpoint -q "$DIR/$m" 2>/dev/null; then umount "$DIR/$m" || umount -l "$DIR/$m"; fi
  done
  exit 0
fi
MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$MIRROR" ] || MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$MIRROR" ] || { echo "bpftrace-chroot: no Debian archive in the host's apt sources" >&2; exit 1; }
if [ ! -x "$DIR/usr/bin/bpftrace" ]; then
  command -v debootstrap >/dev/null || { echo "bpftrace-chroot: debootstrap missing (test/setup-host.sh installs it)" >&2; exit 1; }
  echo "bpftrace-chroot: building $SUITE in $DIR (once)" >&2
  rm -rf "$DIR.tmp"; mkdir -p "$(dirname "$DIR")"
  debootstrap --variant=minbase "$SUITE" "$DIR.tmp" "$MIRROR" >/dev/null
  echo 'Acquire::Check-Valid-Until "false";' > "$DIR.tmp/etc/apt/apt.conf.d/99no-valid-until"
  mount -t proc proc "$DIR.tmp/proc"
  trap 'umount "$DIR.tmp/proc" 2>/dev/null || true' EXIT
  chroot "$DIR.tmp" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  chroot "$DIR.tmp" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bpftrace >/dev/null
  umount "$DIR.tmp/proc"; trap - EXIT
  mv "$DIR.tmp" "$DIR"
fi
for m in $MNTS; do mkdir -p "$DIR/$m"; done
[ "$ACTION" = build ] && exit 0
for m in $MNTS; do mountpoint -q "$DIR/$m" || mount --bind "/$m" "$DIR/$m"; done
WRAPPER="$ROOT/test/.assets/chroots/$SUITE.bpftrace"
printf '#!/bin/sh\n# bpftrace of Debian %s, run in its chroot (test/versions/bpftrace-chroot.sh)\nexec chroot %s /usr/bin/bpftrace "$@"\n' "$SUITE" "$DIR" > "$WRAPPER"
chmod +x "$WRAPPER"
echo "$WRAPPER"
