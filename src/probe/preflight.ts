// What must be true before any probe can attach, each check with the fix to print.
// Shared by `faultline live` (fails fast) and `faultline doctor` (reports all).
import { existsSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { FaultlineError } from '../model/errors.js';
import { readBpftraceVersion, type BpftraceVersion } from './bpftrace-version.js';

export interface HostChecks {
  isRoot: boolean;
  bpftracePath: string | null;
  bpftraceVersion: BpftraceVersion | null;
  tracefsPath: string | null;
  hasBtf: boolean;
  /** e.g. "none", "integrity", "confidentiality"; "" when the file is missing. */
  lockdown: string;
}

const TRACEFS_PATHS = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];

export function findTracefs(): string | null {
  return TRACEFS_PATHS.find((p) => existsSync(`${p}/events`)) ?? null;
}

/** As root, mount tracefs where the kernel expects it if nobody has. */
export async function mountTracefs(): Promise<string | null> {
  try {
    await execa('mount', ['-t', 'tracefs', 'tracefs', '/sys/kernel/tracing'], { timeout: 10_000 });
  } catch {
    // reported by the caller with the fix
  }
  return findTracefs();
}

export async function findExecutable(name: string): Promise<string | null> {
  if (name.includes('/')) return existsSync(name) ? name : null;
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (dir && existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return null;
}

export function parseLockdown(text: string): string {
  return text.match(/\[(\w+)\]/)?.[1] ?? '';
}

export async function checkHost(bpftrace = 'bpftrace'): Promise<HostChecks> {
  const bpftracePath = await findExecutable(bpftrace);
  let lockdown = '';
  try {
    lockdown = parseLockdown(readFileSync('/sys/kernel/security/lockdown', 'utf8'));
  } catch {
    // no securityfs or no lockdown LSM: nothing locks probes down
  }
  const isRoot = process.getuid?.() === 0;
  return {
    isRoot,
    bpftracePath,
    bpftraceVersion: bpftracePath ? await readBpftraceVersion(bpftracePath) : null,
    tracefsPath: findTracefs() ?? (isRoot ? await mountTracefs() : null),
    hasBtf: existsSync('/sys/kernel/btf/vmlinux'),
    lockdown,
  };
}

/** The first thing that stops probes from attaching, as an error to print. */
export function blockingProblem(checks: HostChecks): FaultlineError | null {
  if (!checks.bpftracePath) {
    return new FaultlineError('E_NO_BPFTRACE', 'bpftrace is not installed',
      'install it: sudo apt-get install bpftrace   (Debian/Ubuntu; Fedora: sudo dnf install bpftrace), or pass --bpftrace PATH');
  }
  const v = checks.bpftraceVersion;
  if (v && v.major === 0 && v.minor < 17) {
    return new FaultlineError('E_OLD_BPFTRACE', `bpftrace ${v.text} is too old: faultline needs 0.17 or newer`,
      'install a newer bpftrace (Debian 12 and Ubuntu 24.04 ship 0.17+), or pass --bpftrace PATH to one');
  }
  if (!checks.isRoot) {
    return new FaultlineError('E_NOT_ROOT', 'faultline needs root to attach kernel probes',
      'run it as root: sudo faultline live   (from a checkout: sudo npm start)');
  }
  if (!checks.tracefsPath) {
    return new FaultlineError('E_NO_TRACEFS', 'tracefs is not mounted and could not be mounted',
      'mount it: sudo mount -t tracefs tracefs /sys/kernel/tracing');
  }
  if (checks.lockdown === 'confidentiality') {
    return new FaultlineError('E_LOCKDOWN', 'kernel lockdown (confidentiality) forbids reading kernel memory from BPF',
      'boot without lockdown=confidentiality, or disable Secure Boot lockdown for this host');
  }
  return null;
}
