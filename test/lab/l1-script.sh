#!/bin/bash
# Runs inside L1 (test/lab/boot-l1.sh copies it to OUT and runs it as root, in the
# chroot of this host's root, from /tmp/out). Reads OUT/lab.env (PROJECT, the
# checkout; BPFTRACE_CHROOT, a bpftrace chroot to test with instead of the host's),
# prepares L1 (swap on /dev/vda, the memory controller, a 1 GiB hugetlbfs), records
# L1's facts, captures its tracepoint formats, and runs test/lab/l1-driver.ts.
set -u
cd /tmp/out
. /tmp/out/lab.env
t() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }
ulimit -l unlimited
t "L1 $(uname -r): $(grep -m1 -o -w -E 'svm|vmx' /proc/cpuinfo) $(grep -o -w npt /proc/cpuinfo | head -1); /dev/kvm: $(ls /dev/kvm 2>&1)"
mkswap /dev/vda >/dev/null && swapon /dev/vda && t "swap: $(awk '/SwapTotal/{print $2}' /proc/meminfo) kB"
echo +memory > /sys/fs/cgroup/cgroup.subtree_control && t "memory controller on"
mkdir -p /dev/hugepages1G && mount -t hugetlbfs -o pagesize=1G none /dev/hugepages1G && t "1 GiB pages: $(cat /sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages)"
"$PROJECT/test/fixtures/tracefs/capture.sh" /tmp/out/tracefs >/dev/null && t "tracepoint formats captured"
export LAB_OUT=/tmp/out
if [ -n "${BPFTRACE_CHROOT:-}" ]; then
  # the chroot is on the host's root (read-only here): mount what bpftrace needs over it
  for m in proc sys sys/kernel/tracing sys/kernel/debug dev; do mount --bind "/$m" "$BPFTRACE_CHROOT/$m"; done
  printf '#!/bin/sh\nexec chroot %s /usr/bin/bpftrace "$@"\n' "$BPFTRACE_CHROOT" > /tmp/bpftrace-under-test
  chmod +x /tmp/bpftrace-under-test
  export LAB_BPFTRACE=/tmp/bpftrace-under-test
fi
t "bpftrace under test: $(${LAB_BPFTRACE:-bpftrace} --version 2>&1 | head -1)"
${LAB_BPFTRACE:-bpftrace} --version 2>&1 | head -1 > /tmp/out/bpftrace-version.txt
cd "$PROJECT" && node --import tsx test/lab/l1-driver.ts
t "driver exited $?"
