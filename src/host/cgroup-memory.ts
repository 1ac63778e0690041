// A process's memory cgroup: limit, usage, how often the limit was hit, OOM kills, swap.
// IO; missing files give zeros, never an error.
//
// cgroup v1 (${root}/memory${memoryPath}):
//   memory.limit_in_bytes   "no limit" is LONG_MAX rounded down to a page:
//                           9223372036854771712 with 4 KiB pages (other page sizes
//                           differ), so anything >= 2^62 means no limit -> 0
//   memory.usage_in_bytes, memory.failcnt (-> limitHits),
//   memory.oom_control      "oom_kill N" (4.13+)
//   memory.memsw.usage_in_bytes  memory + swap, there only with swap accounting
//                           (on unless the kernel was booted swapaccount=0): swap is
//                           it minus memory.usage_in_bytes (-> swapBytes; both are
//                           hierarchical page counters, read one after the other, so
//                           a difference below 0 reads 0); no file -> 0
// cgroup v2 (${root}${unifiedPath}, or ${root}/unified${unifiedPath} on hybrid hosts
// such as Debian's systemd "hybrid" mode):
//   memory.max ("max" -> 0), memory.current, memory.events ("max N", "oom_kill N"),
//   memory.swap.current (-> swapBytes; no file without swap accounting -> 0)
// Under cgroup v2, libvirt puts QEMU's threads in a threaded subtree
// (scope/libvirt/{emulator,vcpu0,...}) where memory files do not exist, so when the
// process's own cgroup has none we use the nearest ancestor that has them, down to a
// depth of two (the VM's scope), never a top-level slice or the root.
import { posix } from 'node:path';
import type { CgroupMemory } from '../model/snapshot.js';
import { readTextOrNull } from './read-proc-file.js';

const NO_LIMIT_FROM_BYTES = 2 ** 62;

/** The path, then its ancestors while they are at least two levels deep. */
export function cgroupSearchPaths(path: string): string[] {
  const segments = path.split('/').filter((s) => s !== '');
  const paths = [`/${segments.join('/')}`];
  for (let depth = segments.length - 1; depth >= 2; depth--) paths.push(`/${segments.slice(0, depth).join('/')}`);
  return paths;
}

export const numberOr0 = (text: string | null): number => {
  const value = Number((text ?? '').trim());
  return Number.isFinite(value) ? value : 0;
};

/** A limit file's bytes, 0 for no limit: v2's "max", v1's LONG_MAX-ish, or no file. */
export function limitBytesOf(text: string | null): number {
  if (text === null || text.trim() === 'max') return 0;
  const bytes = numberOr0(text);
  return bytes >= NO_LIMIT_FROM_BYTES ? 0 : bytes;
}

/** `key N` lines (memory.events, memory.oom_control): the value of `key`, or 0. */
export function flatKeyedValue(text: string | null, key: string): number {
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(text ?? '');
  return match?.[1] ? Number(match[1]) : 0;
}

/** cgroup v1 swap: memory+swap less memory, 0 without swap accounting (no memsw file). */
export function v1SwapBytes(memswUsage: string | null, usage: string | null): number {
  if (memswUsage === null) return 0;
  return Math.max(0, numberOr0(memswUsage) - numberOr0(usage));
}

async function readV1(hierarchy: string, path: string): Promise<CgroupMemory | null> {
  for (const candidate of cgroupSearchPaths(path)) {
    const dir = posix.join(hierarchy, candidate);
    const usage = await readTextOrNull(`${dir}/memory.usage_in_bytes`);
    if (usage === null) continue;
    const [limit, failcnt, oomControl, memsw] = await Promise.all([
      readTextOrNull(`${dir}/memory.limit_in_bytes`),
      readTextOrNull(`${dir}/memory.failcnt`),
      readTextOrNull(`${dir}/memory.oom_control`),
      readTextOrNull(`${dir}/memory.memsw.usage_in_bytes`),
    ]);
    return {
      path: candidate,
      limitBytes: limitBytesOf(limit),
      usageBytes: numberOr0(usage),
      oomKills: flatKeyedValue(oomControl, 'oom_kill'),
      limitHits: numberOr0(failcnt),
      swapBytes: v1SwapBytes(memsw, usage),
    };
  }
  return null;
}

async function readV2(hierarchy: string, path: string): Promise<CgroupMemory | null> {
  for (const candidate of cgroupSearchPaths(path)) {
    const dir = posix.join(hierarchy, candidate);
    const current = await readTextOrNull(`${dir}/memory.current`);
    if (current === null) continue;
    const [max, events, swap] = await Promise.all([
      readTextOrNull(`${dir}/memory.max`),
      readTextOrNull(`${dir}/memory.events`),
      readTextOrNull(`${dir}/memory.swap.current`),
    ]);
    return {
      path: candidate,
      limitBytes: limitBytesOf(max),
      usageBytes: numberOr0(current),
      oomKills: flatKeyedValue(events, 'oom_kill'),
      limitHits: flatKeyedValue(events, 'max'),
      swapBytes: numberOr0(swap),
    };
  }
  return null;
}

export async function readCgroupMemory(
  cgroupRoot = '/sys/fs/cgroup',
  memoryPath: string,
  unifiedPath: string,
): Promise<CgroupMemory> {
  if (memoryPath) {
    const v1 = await readV1(`${cgroupRoot}/memory`, memoryPath);
    if (v1) return v1;
  }
  if (unifiedPath) {
    const v2 = (await readV2(cgroupRoot, unifiedPath)) ?? (await readV2(`${cgroupRoot}/unified`, unifiedPath));
    if (v2) return v2;
  }
  // nothing readable: name the hierarchy that accounts memory (v1 memory when present)
  return { path: memoryPath || unifiedPath, limitBytes: 0, usageBytes: 0, oomKills: 0, limitHits: 0, swapBytes: 0 };
}
