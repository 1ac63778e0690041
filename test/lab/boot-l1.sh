#!/bin/bash
# boot-l1.sh KDIR SCRIPT OUT: boots Debian's kernel in KDIR/k (test/lab/fetch-kernel.sh) as
# the lab's "L1" machine under QEMU TCG, with an AMD CPU that has SVM and nested paging
# (-cpu max), kvm_amd loaded (so L1 has a real /dev/kvm and runs L2 guests under real
# KVM), this host's root filesystem shared read-only over 9p and chrooted into (tmpfs on
# /tmp and /run), OUT shared writable at /tmp/out, and a sparse disk image as /dev/vda
# (L1's swap). SCRIPT (copied to OUT) runs as root in the chroot from /tmp/out; its
# output goes to OUT/l1.log, the L1 console to OUT/console.log. L1 powers off when SCRIPT
# ends; this script returns when QEMU has exited, and kills it (by pid) on a timeout.
# Env: L1_MEM_MB (5120), L1_CPUS (1), L1_SWAP_MB (1024), L1_APPEND (more kernel command
# line, e.g. hugepagesz=1G hugepages=2), BOOT_TIMEOUT seconds (900), STALL_TIMEOUT
# seconds (120: see the watch below), L1_NUMA_NODES (1; 2
# splits L1's memory into two NUMA nodes, the CPUs all on node 0 and node 1 memory
# only, as on a host with a CPU-less memory node: a VM bound there runs remote).
# Why one vCPU: with two (-smp 2, thread=multi), L1 oopsed on a stray int3 now and then
# ("Oops: int3" in __schedule and in kvm_amd, "Fatal exception in interrupt"), right when
# a bpftrace attached or detached: enabling a perf event patches live kernel text (static
# keys, text_poke_bp's int3 protocol) and the other vCPU thread went on running its old
# translation with the int3 in it after the patch was done. Seen in 2 boots out of 2 on
# trixie's 6.12 and once in ~5 on bookworm's 6.1. With one vCPU there is no other CPU to
# see a half-made patch; a kernel's run takes ~290 s instead of ~270 s. (Two vCPUs on one
# TCG thread, thread=single, made the L2 guest too slow to boot within 150 s.)
# Needs: qemu-system-x86 busybox-static cpio xz-utils zstd (test/setup-host.sh).
# After the recipe measured in ../shared/kvm-lab/boot-lab.sh (2026-12-05).
set -euo pipefail
KD=$(cd "${1:?usage: boot-l1.sh KDIR SCRIPT OUT}" && pwd); SCRIPT=${2:?}; OUT=${3:?}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd); START=$(date +%s)
MODS="$KD/k/lib/modules"; [ -d "$MODS" ] || MODS="$KD/k/usr/lib/modules"   # merged /usr from trixie on
KVER=$(ls "$MODS"); KM="$MODS/$KVER"
B=$(mktemp -d); trap 'rm -rf "$B"' EXIT
mkdir -p "$B/bin" "$B/lib/modules" "$B/dev" "$B/proc" "$B/sys" "$B/host"; cp /bin/busybox "$B/bin/busybox"
modfile() { find "$KM/kernel" \( -name "$1.ko*" -o -name "${1//_/-}.ko*" \) | head -1; }
unpack() { case $1 in *.xz) xz -dc "$1";; *.zst) zstd -qdc "$1";; *) cat "$1";; esac; }
deps() { unpack "$1" | tr '\0' '\n' | grep -a '^depends=' | head -1 | cut -d= -f2 | tr ',' ' '; }
ORDER=(); declare -A SEEN
add() { local m=$1 f d; [ -n "${SEEN[$m]:-}" ] && return; SEEN[$m]=1; f=$(modfile "$m"); [ -n "$f" ] || return 0
  for d in $(deps "$f"); do add "$d"; done
  unpack "$f" > "$B/lib/modules/$m.ko"; ORDER+=("$m"); }
for m in virtio_pci virtio_blk 9pnet_virtio 9p kvm kvm_amd; do add $m; done   # missing ones are built in
printf '%s\n' "${ORDER[@]}" > "$B/modules.order"
cat > "$B/init" <<'INIT'
#!/bin/busybox sh
B=/bin/busybox
$B mount -t proc proc /proc; $B mount -t sysfs sys /sys; $B mount -t devtmpfs dev /dev
for m in $($B cat /modules.order); do $B insmod /lib/modules/$m.ko 2>&1 | $B head -2; done
$B mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /host || $B poweroff -f
$B mount -t tmpfs tmpfs /host/tmp; $B mount -t tmpfs tmpfs /host/run; $B mkdir -p /host/tmp/out
$B mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out /host/tmp/out
$B mount -t proc proc /host/proc; $B mount -t sysfs sys /host/sys; $B mount -t devtmpfs dev /host/dev
$B mount -t tracefs tracefs /host/sys/kernel/tracing; $B mount -t debugfs debugfs /host/sys/kernel/debug
$B mount -t cgroup2 none /host/sys/fs/cgroup 2>/dev/null
echo "L1: kernel $($B uname -r); $($B ls -l /dev/kvm 2>&1)"
$B chroot /host /bin/bash /tmp/out/l1-script.sh > /host/tmp/out/l1.log 2>&1
echo "L1: script exited $?"; $B sync; $B umount /host/tmp/out; $B poweroff -f
INIT
chmod 755 "$B/init"; (cd "$B" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$OUT/initramfs.cpio.gz"
cp "$SCRIPT" "$OUT/l1-script.sh"
rm -f "$OUT/swap.img"; truncate -s "${L1_SWAP_MB:-1024}M" "$OUT/swap.img"
NUMA=()
if [ "${L1_NUMA_NODES:-1}" = 2 ]; then
  HALF=$(( ${L1_MEM_MB:-5120} / 2 ))
  NUMA=(-object "memory-backend-ram,id=node0,size=${HALF}M" -numa "node,nodeid=0,cpus=0-$(( ${L1_CPUS:-1} - 1 )),memdev=node0"
        -object "memory-backend-ram,id=node1,size=$(( ${L1_MEM_MB:-5120} - HALF ))M" -numa "node,nodeid=1,memdev=node1")
fi
qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp "${L1_CPUS:-1}" -m "${L1_MEM_MB:-5120}" "${NUMA[@]}" \
  -nographic -no-reboot -kernel "$KD/k/boot/vmlinuz-$KVER" -initrd "$OUT/initramfs.cpio.gz" \
  -append "console=ttyS0 panic=-1 loglevel=4 ${L1_APPEND:-}" \
  -drive file="$OUT/swap.img",if=virtio,format=raw,cache=unsafe \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs local,path="$OUT",mount_tag=out,security_model=none > "$OUT/console.log" 2>&1 &
QEMU=$!
# L1 killed at BOOT_TIMEOUT, or sooner once faultline inside it is running (its
# snapshots, one a second, reach OUT/faultline.ndjson) and no log of OUT has moved for
# STALL_TIMEOUT s (120; the console is not counted: a hung kernel may still print
# lockup warnings there): L1 hangs (seen once in a few runs on bookworm's 6.1, in the
# 1g scenario, console silent), and the lane boots it again without the wait
( END=$(( $(date +%s) + ${BOOT_TIMEOUT:-900} ))
  while kill -0 "$QEMU" 2>/dev/null; do
    sleep 5; NOW=$(date +%s)
    if [ "$NOW" -ge "$END" ]; then
      kill -9 "$QEMU" 2>/dev/null && echo "boot-l1: timed out after ${BOOT_TIMEOUT:-900} s, L1 killed" >> "$OUT/console.log"; break
    fi
    if [ -s "$OUT/faultline.ndjson" ]; then
      LAST=$(stat -c %Y "$OUT/faultline.ndjson" "$OUT/driver.log" "$OUT/l1.log" 2>/dev/null | sort -n | tail -1)
      if [ $(( NOW - LAST )) -ge "${STALL_TIMEOUT:-120}" ]; then
        kill -9 "$QEMU" 2>/dev/null && echo "boot-l1: no log of L1 moved for ${STALL_TIMEOUT:-120} s (it hangs), L1 killed" >> "$OUT/console.log"; break
      fi
    fi
  done ) &
WATCH=$!
wait "$QEMU" || echo "boot-l1: qemu exited $?"
kill "$WATCH" 2>/dev/null || true; wait "$WATCH" 2>/dev/null || true
rm -f "$OUT/swap.img" "$OUT/initramfs.cpio.gz"
echo "boot-l1: $KVER, $(( $(date +%s) - START )) s; L1 console: $(grep -a -o 'L1: .*' "$OUT/console.log" | tr '\n' ' ')"
