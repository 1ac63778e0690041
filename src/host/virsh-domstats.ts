// The guest's own view of its memory, as libvirt has it:
//
//   virsh -r -c qemu:///system domstats --balloon --list-active --nowait
//   Domain: 'web01'
//     balloon.current=262144          KiB the guest has now (the balloon's size)
//     balloon.maximum=262144          KiB it may have (<memory>)
//     balloon.swap_in=0               KiB swapped in since the guest booted
//     balloon.swap_out=0
//     balloon.major_fault=0           faults since the guest booted
//     balloon.minor_fault=1396
//     balloon.unused=195900           KiB: the guest's MemFree
//     balloon.available=223764        KiB: the guest's MemTotal (not MemAvailable)
//     balloon.usable=199064           KiB: the guest's MemAvailable
//     balloon.last-update=1796573395  Unix seconds of the guest's last report
//     balloon.disk_caches=2216        KiB of file pages in the guest (shmem too)
//     balloon.rss=195064              KiB: QEMU's RSS on the host (faultline reads its own)
//
// (libvirt 9.0 with QEMU 7.2, test/fixtures/virsh/). The guest's figures come from its
// virtio-balloon driver, which reports them every <stats period='N'/> seconds; a
// domain without a period, or a guest without the driver, has balloon.current and
// balloon.maximum only. The meminfo names are the guest kernel's: VIRTIO_BALLOON_S_MEMFREE
// (unused) is MemFree, S_MEMTOT (available) MemTotal, S_AVAIL (usable, guest kernels
// 4.16+) MemAvailable. `--nowait` skips a domain whose monitor is busy rather than
// wait for it; `-r` needs only the read-only socket.
//
// The parser is pure; runDomstats is the IO: execFile with an argument array (a
// domain name never reaches a shell), LC_ALL=C so "Domain:" is not translated.
import { execFile } from 'node:child_process';
import type { GuestMemory } from '../model/snapshot.js';

/** One domain of `virsh domstats` output: its name and each numeric stat by key. */
export interface DomainStats {
  name: string;
  stats: Map<string, number>;
}

const KiB = 1024;

/** Every domain in the output, in order. Lines that are not `key=number` are skipped. */
export function parseDomstats(text: string): DomainStats[] {
  const domains: DomainStats[] = [];
  let current: DomainStats | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const named = /^Domain: '(.*)'$/.exec(line);
    if (named) {
      current = { name: named[1]!, stats: new Map() };
      domains.push(current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq <= 0) continue;
    const value = Number(line.slice(eq + 1));
    if (line.slice(eq + 1) !== '' && Number.isFinite(value)) current.stats.set(line.slice(0, eq), value);
  }
  return domains;
}

/** The guest-memory figures of one domain (rates unknown: see guestSwapRates), or
 * null when it has no balloon (no balloon.current). */
export function guestMemoryOf(domain: DomainStats, readAtMs: number): GuestMemory | null {
  const kib = (key: string): number => (domain.stats.has(key) ? domain.stats.get(key)! * KiB : -1);
  const count = (key: string): number => domain.stats.get(key) ?? -1;
  if (!domain.stats.has('balloon.current')) return null;
  return {
    balloonCurrentBytes: kib('balloon.current'),
    balloonMaximumBytes: kib('balloon.maximum'),
    memTotalBytes: kib('balloon.available'),
    memFreeBytes: kib('balloon.unused'),
    memAvailableBytes: kib('balloon.usable'),
    diskCachesBytes: kib('balloon.disk_caches'),
    swapInBytes: kib('balloon.swap_in'),
    swapOutBytes: kib('balloon.swap_out'),
    majorFaults: count('balloon.major_fault'),
    minorFaults: count('balloon.minor_fault'),
    swapInPagesPerSec: -1,
    swapOutPagesPerSec: -1,
    guestUpdatedMs: (domain.stats.get('balloon.last-update') ?? 0) * 1000,
    readAtMs,
  };
}

const PAGE_BYTES = 4096;

/** `current` with its swap rates, from the previous reading of the same guest: over
 * the time between the guest's two reports (its own clock, whole seconds), else
 * between the two reads. A guest that has not reported since keeps the rates it had;
 * counters that went back (the guest rebooted) make them unknown. */
export function guestSwapRates(previous: GuestMemory | null, current: GuestMemory): GuestMemory {
  if (!previous || current.swapInBytes < 0 || current.swapOutBytes < 0 || previous.swapInBytes < 0 || previous.swapOutBytes < 0) return current;
  if (current.guestUpdatedMs > 0 && current.guestUpdatedMs === previous.guestUpdatedMs) {
    return { ...current, swapInPagesPerSec: previous.swapInPagesPerSec, swapOutPagesPerSec: previous.swapOutPagesPerSec };
  }
  const bothReported = current.guestUpdatedMs > 0 && previous.guestUpdatedMs > 0;
  const seconds = (bothReported ? current.guestUpdatedMs - previous.guestUpdatedMs : current.readAtMs - previous.readAtMs) / 1000;
  const swappedIn = current.swapInBytes - previous.swapInBytes;
  const swappedOut = current.swapOutBytes - previous.swapOutBytes;
  if (!(seconds > 0) || swappedIn < 0 || swappedOut < 0) return current;
  return { ...current, swapInPagesPerSec: swappedIn / PAGE_BYTES / seconds, swapOutPagesPerSec: swappedOut / PAGE_BYTES / seconds };
}

export interface DomstatsCall {
  virsh: string;
  /** libvirt connection URI, e.g. qemu:///system */
  uri: string;
  timeoutMs: number;
}

/** Runs `virsh -r -c URI domstats --balloon --list-active --nowait`; resolves to its
 * output, rejects with virsh's error line (or the timeout) on failure. */
export function runDomstats(call: DomstatsCall): Promise<string> {
  const args = ['-r', '-c', call.uri, 'domstats', '--balloon', '--list-active', '--nowait'];
  return new Promise((resolve, reject) => {
    execFile(call.virsh, args, { timeout: call.timeoutMs, maxBuffer: 32 * 2 ** 20, env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const killed = (error as { killed?: boolean }).killed ? `no answer in ${call.timeoutMs} ms` : '';
      const said = stderr.split('\n').map((l) => l.trim()).find((l) => l.startsWith('error:') && !/failed to connect to the hypervisor/.test(l)) ?? stderr.trim().split('\n')[0] ?? '';
      reject(new Error(`${call.virsh} ${args.join(' ')}: ${killed || said || error.message}`));
    });
  });
}
