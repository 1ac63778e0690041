// Which processes are VMs, and who they are. IO at the edge (cmdline, cgroup),
// identity decided by the pure identifyVm.
//
// Processes are keyed by `${pid}@${startTimeTicks}`: pids are reused, so a VM that
// restarts on the same pid (or any new process there) is a new process, and the
// old one has exited.
import type { ProcessStat, VmIdentity } from '../model/host.js';
import { parseProcCgroup, vmFromCgroupPath } from './cgroup-path.js';
import { readArgv } from './process-detail.js';
import { isQemuComm, isQemuProcess, parseQemuArgv } from './qemu-identity.js';
import { readTextOrNull } from './read-proc-file.js';

/** The stable id of a process: pid plus start time. */
export function processId(stat: Pick<ProcessStat, 'pid' | 'startTimeTicks'>): string {
  return `${stat.pid}@${stat.startTimeTicks}`;
}

/** The cgroup path that names a VM: the unified one, else the v1 memory one, else whichever is set. */
export function vmCgroupPath(cgroupText: string): string {
  const { memoryPath, unifiedPath } = parseProcCgroup(cgroupText);
  const naming = [unifiedPath, memoryPath].find((p) => {
    const vm = vmFromCgroupPath(p);
    return vm.machineName !== '' || vm.proxmoxVmid !== '';
  });
  return naming ?? (unifiedPath || memoryPath);
}

/** A QEMU process's identity; one without any name is `qemu-<pid>`. */
export function identifyVm(argv: string[], cgroupText: string, pid: number): VmIdentity {
  const identity = parseQemuArgv(argv, vmCgroupPath(cgroupText));
  return identity.name ? identity : { ...identity, name: `qemu-${pid}` };
}

/** Cache of identities by `${processId} ${comm}` (null: not a VM). An identity holds
 * while the process lives (an exec changes comm, hence the key), so each process's
 * cmdline and cgroup are read once, not every interval. A VM whose comm turns into a
 * non-QEMU one (seen as a QEMU exits: for an interval its stat line names a thread,
 * "IO mon_iothread", and its cmdline is empty) stays the VM it was. */
export type IdentityCache = Map<string, VmIdentity | null>;

const identityKey = (stat: ProcessStat): string => `${processId(stat)} ${stat.comm}`;

/** The VMs among `stats`, by pid. Reads cmdline and cgroup only for QEMU-named
 * processes not in `known` (which it fills, and prunes of processes gone). */
export async function discoverVms(procRoot: string, stats: ProcessStat[], known: IdentityCache = new Map()): Promise<Map<number, VmIdentity>> {
  const candidates = stats.filter((s) => isQemuComm(s.comm));
  const vms = new Map<number, VmIdentity>();
  const unknown: ProcessStat[] = [];
  for (const stat of candidates) {
    const key = identityKey(stat);
    if (!known.has(key)) unknown.push(stat);
    else if (known.get(key)) vms.set(stat.pid, known.get(key)!);
  }
  const found = await Promise.all(
    unknown.map(async (stat): Promise<[number, VmIdentity] | null> => {
      const [argv, cgroupText] = await Promise.all([
        readArgv(procRoot, stat.pid),
        readTextOrNull(`${procRoot}/${stat.pid}/cgroup`),
      ]);
      // gone before we read it: not known either way, look again if it is still listed
      if (argv === null) return null;
      const identity = isQemuProcess(stat.comm, argv) ? identifyVm(argv, cgroupText ?? '', stat.pid) : null;
      // a VM known only by pid, or whose cgroup could not be read, may be named once
      // its manager has moved it into its scope: read it again next time
      const settled = cgroupText !== null && (identity === null || identity.name !== `qemu-${stat.pid}`);
      if (settled) known.set(identityKey(stat), identity);
      return identity ? [stat.pid, identity] : null;
    }),
  );
  for (const entry of found) if (entry) vms.set(entry[0], entry[1]);
  const listed = new Set(candidates.map(identityKey));
  for (const key of renamedVms(stats, known, vms)) listed.add(key);
  for (const key of known.keys()) if (!listed.has(key)) known.delete(key);
  return vms;
}

/** Known VMs listed under a comm that is not QEMU's (the same process: same pid and
 * start time): added to `vms`; returns their cache keys, which stay. */
function renamedVms(stats: ProcessStat[], known: IdentityCache, vms: Map<number, VmIdentity>): string[] {
  const byPid = new Map<number, [string, VmIdentity]>();
  for (const [key, identity] of known) if (identity) byPid.set(Number(key.slice(0, key.indexOf('@'))), [key, identity]);
  if (byPid.size === 0) return [];
  const kept: string[] = [];
  for (const stat of stats) {
    const entry = vms.has(stat.pid) ? undefined : byPid.get(stat.pid);
    if (!entry || !entry[0].startsWith(`${processId(stat)} `) || isQemuComm(stat.comm)) continue;
    vms.set(stat.pid, entry[1]);
    kept.push(entry[0]);
  }
  return kept;
}

/** Process ids that appeared and disappeared between two reads. */
export function diffProcessSets(prevIds: Set<string>, curIds: Set<string>): { started: string[]; exited: string[] } {
  return {
    started: [...curIds].filter((id) => !prevIds.has(id)),
    exited: [...prevIds].filter((id) => !curIds.has(id)),
  };
}
