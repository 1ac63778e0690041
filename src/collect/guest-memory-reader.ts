// The guest's own view, read at a low rate: `virsh domstats --balloon` every 10
// intervals (src/host/virsh-domstats.ts), in the background. At most one call is in
// flight, it may take 5 s, and no interval ever waits for it: each snapshot carries
// the latest reading. Nothing is called unless a libvirt daemon's read-only socket
// is there and virsh is on PATH (a host without libvirt, or QEMUs that only look like
// libvirt's, costs a few stat calls every 10 intervals). A failing call is said once
// (until one succeeds again) and drops the readings; it never throws.
//
// A reading belongs to the VM whose pid is in libvirt's pid file for the domain
// (/run/libvirt/qemu/NAME.pid, read with the output); without one readable, to the
// one libvirt VM of that name. A QEMU that only carries the name (a plain
// `-name guest=web01`) is not given another process's reading.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { VmIdentity } from '../model/host.js';
import type { GuestMemory } from '../model/snapshot.js';
import { readTextOrNull } from '../host/read-proc-file.js';
import { findExecutable } from '../probe/preflight.js';
import { guestMemoryOf, guestSwapRates, parseDomstats, runDomstats, type DomstatsCall } from '../host/virsh-domstats.js';

/** Where libvirtd (and the modular virtqemud) put their read-only sockets. */
export const LIBVIRT_SOCKETS = [
  '/run/libvirt/libvirt-sock-ro', '/var/run/libvirt/libvirt-sock-ro',
  '/run/libvirt/virtqemud-sock-ro', '/var/run/libvirt/virtqemud-sock-ro',
];

export interface GuestMemoryReaderOptions {
  /** Read every this many polls (intervals); default 10. */
  everyIntervals?: number;
  /** The most one virsh call may take; default 5 s. */
  timeoutMs?: number;
  /** virsh: a name looked up on PATH when a call is due, or a path; default 'virsh'. */
  virsh?: string;
  uri?: string;
  /** Any of these existing means a daemon is there; default LIBVIRT_SOCKETS. */
  socketPaths?: string[];
  /** libvirt's QEMU driver's pid files; default /run/libvirt/qemu. */
  pidDir?: string;
  now?: () => number;
  /** Said once per failing spell (stderr in the CLI). */
  log?: (line: string) => void;
}

interface Reading {
  name: string;
  /** From libvirt's pid file; null when it could not be read. */
  pid: number | null;
  memory: GuestMemory;
}

/** A domain name that can be a file name in pidDir (libvirt refuses '/' in names). */
const fileSafe = (name: string): boolean => name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');

export class GuestMemoryReader {
  private polls = 0;
  private inFlight: Promise<void> | null = null;
  private readings: Reading[] = [];
  private failing = false;
  /** virsh calls started (for tests and the curious). */
  calls = 0;
  private readonly every: number;
  private readonly now: () => number;

  constructor(private readonly options: GuestMemoryReaderOptions = {}) {
    this.every = Math.max(1, options.everyIntervals ?? 10);
    this.now = options.now ?? Date.now;
  }

  /** Once per interval (and once at start): starts a read on every `everyIntervals`-th
   * call, when none is in flight and libvirt is there. Never waits for it. */
  poll(): void {
    const due = this.polls % this.every === 0;
    this.polls += 1;
    if (!due || this.inFlight) return;
    const sockets = this.options.socketPaths ?? LIBVIRT_SOCKETS;
    if (!sockets.some((path) => existsSync(path))) {
      this.readings = [];
      return;
    }
    this.inFlight = this.read().finally(() => {
      this.inFlight = null;
    });
  }

  /** Resolves when the read in flight (if any) has ended: for tests and shutdown. */
  async settled(): Promise<void> {
    await this.inFlight;
  }

  /** The latest reading of this VM, or null (see the header for how they are matched). */
  readingFor(pid: number, identity: Pick<VmIdentity, 'name' | 'source'>): GuestMemory | null {
    const byPid = this.readings.find((r) => r.pid === pid);
    if (byPid) return byPid.memory;
    if (identity.source !== 'libvirt') return null;
    const byName = this.readings.filter((r) => r.pid === null && r.name === identity.name);
    return byName.length === 1 ? byName[0]!.memory : null;
  }

  private async read(): Promise<void> {
    const virsh = await findExecutable(this.options.virsh ?? 'virsh');
    if (!virsh) {
      this.readings = [];
      return;
    }
    const call: DomstatsCall = { virsh, uri: this.options.uri ?? 'qemu:///system', timeoutMs: this.options.timeoutMs ?? 5000 };
    this.calls += 1;
    try {
      const text = await runDomstats(call);
      const readAtMs = this.now();
      const pidDir = this.options.pidDir ?? '/run/libvirt/qemu';
      const next: Reading[] = [];
      for (const domain of parseDomstats(text)) {
        const memory = guestMemoryOf(domain, readAtMs);
        if (!memory) continue;
        const pidText = fileSafe(domain.name) ? await readTextOrNull(join(pidDir, `${domain.name}.pid`)) : null;
        const pid = pidText !== null && /^\d+\s*$/.test(pidText) ? Number(pidText) : null;
        const previous = this.readings.find((r) => r.name === domain.name && r.pid === pid)?.memory ?? null;
        next.push({ name: domain.name, pid, memory: guestSwapRates(previous, memory) });
      }
      this.readings = next;
      this.failing = false;
    } catch (error) {
      this.readings = [];
      if (!this.failing) this.options.log?.(`faultline: the guests' own memory figures are not read: ${(error as Error).message}; trying again every ${this.every} intervals`);
      this.failing = true;
    }
  }
}
