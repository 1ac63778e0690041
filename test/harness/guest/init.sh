#!/bin/busybox sh
# Tiny memory "leaker" guest for host-side memory tracing tests.
# Kernel cmdline knobs (all optional):
#   hog_mb=N        MiB allocated per step              (default 8)
#   hog_limit=N     stop growing at N MiB               (default 256, 0 = don't grow)
#   hog_interval=S  seconds between steps               (default 1)
#   hog_delay=S     wait S seconds before first step    (default 0)
#   hog_free_after=S  S seconds after reaching limit, free everything (default 0 = keep)
# Control channel (optional): 2nd serial port /dev/ttyS1, line commands:
#   alloc N | free N | freeall | read | stat | poweroff -> replies "ACK ..." on ttyS1 and console
#   (read: reads every hog file back, touching its pages again: memory the host swapped
#    out is faulted back in)
#   (faultline addition: "CTL: ready" on the console once ttyS1 is open and in raw mode;
#    the host must not write before that line, the tty drops input while closed)
#   (faultline addition: each ACK ends with the guest's MemFree, MemTotal and MemAvailable
#    from /proc/meminfo, read after the command: "memfree=NkB memtotal=NkB memavailable=NkB")
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "INIT: reached /init uptime=$(cut -d' ' -f1 /proc/uptime)"
MB=8; LIMIT=256; INTERVAL=1; DELAY=0; FREE_AFTER=0
for a in $(cat /proc/cmdline); do
  case "$a" in
    hog_mb=*) MB=${a#*=};; hog_limit=*) LIMIT=${a#*=};; hog_interval=*) INTERVAL=${a#*=};;
    hog_delay=*) DELAY=${a#*=};; hog_free_after=*) FREE_AFTER=${a#*=};;
  esac
done
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_balloon; do
  insmod /lib/modules/$m.ko 2>/dev/null || echo "INIT: insmod $m failed"
done
ls /sys/bus/virtio/drivers/virtio_balloon 2>/dev/null | grep -q virtio && echo "INIT: virtio_balloon bound"
mount -t tmpfs -o size=85% tmpfs /mnt/hog
hogged() { du -sm /mnt/hog | cut -f1; }
memfree() { awk '/MemFree/{print $2}' /proc/meminfo; }
meminfo() { awk '/^MemTotal:/{t=$2} /^MemAvailable:/{a=$2} END{printf "memtotal=%skB memavailable=%skB", t, a}' /proc/meminfo; }
up() { cut -d' ' -f1 /proc/uptime; }
# allocate N MiB as one tmpfs file (each page gets written -> host page faults in guest-RAM mapping)
alloc() { dd if=/dev/zero of=/mnt/hog/c$(date +%s)_$$_$RANDOM bs=1M count=$1 2>/dev/null; }
free_mb() { want=$1; for f in $(ls -tr /mnt/hog); do [ $want -le 0 ] && break; s=$(du -sm /mnt/hog/$f | cut -f1); rm -f /mnt/hog/$f; want=$((want-s)); done; }
if [ -c /dev/ttyS1 ]; then
  ( echo -1000 > /proc/self/oom_score_adj; stty -F /dev/ttyS1 raw -echo 115200 2>/dev/null; exec 3<>/dev/ttyS1
    echo "CTL: ready t=$(up)"
    while read -r cmd arg <&3; do
      case "$cmd" in
        alloc) alloc $arg;; free) free_mb $arg;; freeall) rm -f /mnt/hog/*;; read) cat /mnt/hog/* > /dev/null;;
        poweroff) echo "ACK poweroff" >&3; sync; poweroff -f;;
        stat|"") ;; *) echo "NAK $cmd" >&3; continue;;
      esac
      msg="ACK $cmd $arg hogged=$(hogged)MiB memfree=$(memfree)kB $(meminfo) t=$(up)"
      echo "$msg" >&3; echo "CTL: $msg"
    done ) &
  echo "INIT: control channel on ttyS1"
fi
sleep $DELAY
echo "INIT: hog start mb=$MB limit=$LIMIT interval=$INTERVAL"
while [ $LIMIT -gt 0 ] && [ $(hogged) -lt $LIMIT ]; do
  alloc $MB || { echo "HOG: alloc failed"; break; }
  echo "HOG: total=$(hogged)MiB memfree=$(memfree)kB t=$(up)"
  sleep $INTERVAL
done
echo "HOG: done total=$(hogged)MiB t=$(up)"
if [ "$FREE_AFTER" != 0 ]; then sleep $FREE_AFTER; rm -f /mnt/hog/*; echo "HOG: freed all memfree=$(memfree)kB t=$(up)"; fi
while true; do sleep 10; echo "STAT: hogged=$(hogged)MiB memfree=$(memfree)kB memtotal=$(awk '/MemTotal/{print $2}' /proc/meminfo)kB t=$(up)"; done
