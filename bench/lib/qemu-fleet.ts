// A fleet of real QEMU processes for the scale benchmark: paused (-S), guest RAM
// preallocated (-mem-prealloc, so every VM holds its RAM as a running guest would),
// with the command line libvirt gives them (-name guest=NAME,debug-threads=on, -uuid,
// -no-user-config -nodefaults). TCG, since a host running faultline need not have KVM
// and the collector's cost does not depend on it. Each is ended by its pid; an exit
// of the benchmark kills whatever is left.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Fleet {
  pids: number[];
  stop(): Promise<void>;
}

export function qemuArgv(index: number, guestMiB: number): string[] {
  const name = `scale-${String(index).padStart(3, '0')}`;
  const uuid = `5ca1e000-0000-4000-8000-${String(index).padStart(12, '0')}`;
  return [
    '-name', `guest=${name},debug-threads=on`,
    '-S', '-machine', 'pc,accel=tcg,usb=off,dump-guest-core=off',
    '-m', String(guestMiB), '-mem-prealloc', '-uuid', uuid,
    '-display', 'none', '-no-user-config', '-nodefaults',
  ];
}

/** Anon + shmem resident KiB of a process, or -1 once it is gone. */
function residentKib(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return kib('RssAnon') + kib('RssShmem');
  } catch {
    return -1;
  }
}

const alive = new Set<number>();
process.once('exit', () => {
  for (const pid of alive) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Starts `count` VMs, `parallel` at a time, each ready once its guest RAM is resident. */
export async function startFleet(count: number, guestMiB: number, log: (line: string) => void, parallel = 8): Promise<Fleet> {
  const pids: number[] = [];
  const startOne = async (index: number): Promise<void> => {
    const child = spawn('qemu-system-x86_64', qemuArgv(index, guestMiB), { stdio: 'ignore' });
    if (!child.pid) throw new Error('qemu-system-x86_64 did not start (is QEMU installed? test/setup-host.sh installs it)');
    const pid = child.pid;
    alive.add(pid);
    child.once('exit', () => alive.delete(pid));
    pids.push(pid);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const kib = residentKib(pid);
      if (kib < 0 || !alive.has(pid)) throw new Error(`QEMU ${index} (pid ${pid}) exited while starting`);
      if (kib >= guestMiB * 1024) return;
      if (Date.now() > deadline) throw new Error(`QEMU ${index} (pid ${pid}) did not preallocate ${guestMiB} MiB in 60 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  let next = 1;
  const worker = async (): Promise<void> => {
    while (next <= count) {
      const index = next++;
      await startOne(index);
      if (index % 50 === 0 || index === count) log(`scale: ${index}/${count} QEMU processes up`);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  } catch (error) {
    await stopPids(pids);
    throw error;
  }
  return { pids, stop: () => stopPids(pids) };
}

async function stopPids(pids: number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 20_000;
  while (pids.some((pid) => alive.has(pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
