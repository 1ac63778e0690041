// Every memory cgroup that has a limit, wherever it is in the hierarchy (cgroup v1's
// memory controller when mounted, else v2): so a cgroup near its limit is seen even
// when none of its processes is a row (not a VM, not among the busiest, not --pid).
// IO; a directory that vanishes while walked is skipped.
import { readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { CgroupMemory } from '../model/snapshot.js';
import { readTextOrNull } from './read-proc-file.js';
import { flatKeyedValue, limitBytesOf, numberOr0, v1SwapBytes } from './cgroup-memory.js';

export interface LimitedCgroupsOptions {
  cgroupRoot?: string;
  /** Only cgroups using at least this share of their limit are kept (default 50%). */
  minUsePct?: number;
  /** At most this many directories are read per walk (default 4000). */
  maxDirs?: number;
}

/** The limited cgroups using at least minUsePct of their limit, fullest first. */
export async function readLimitedCgroups(o: LimitedCgroupsOptions = {}): Promise<CgroupMemory[]> {
  const root = o.cgroupRoot ?? '/sys/fs/cgroup';
  const v1 = existsSync(`${root}/memory/memory.usage_in_bytes`);
  const hierarchy = v1 ? `${root}/memory` : root;
  const minUse = (o.minUsePct ?? 50) / 100;
  const maxDirs = o.maxDirs ?? 4000;
  const found: CgroupMemory[] = [];
  const queue: string[] = [''];
  let read = 0;
  while (queue.length && read < maxDirs) {
    const rel = queue.shift()!;
    read += 1;
    const dir = `${hierarchy}${rel}`;
    if (rel !== '') {
      const limitBytes = limitBytesOf(await readTextOrNull(`${dir}/${v1 ? 'memory.limit_in_bytes' : 'memory.max'}`));
      if (limitBytes > 0) {
        const [usage, hits, oom] = await Promise.all(v1
          ? [readTextOrNull(`${dir}/memory.usage_in_bytes`), readTextOrNull(`${dir}/memory.failcnt`), readTextOrNull(`${dir}/memory.oom_control`)]
          : [readTextOrNull(`${dir}/memory.current`), readTextOrNull(`${dir}/memory.events`), readTextOrNull(`${dir}/memory.events`)]);
        const usageBytes = numberOr0(usage);
        if (usageBytes >= minUse * limitBytes) {
          // swap only for the cgroups kept: one more small file each
          const swapBytes = v1
            ? v1SwapBytes(await readTextOrNull(`${dir}/memory.memsw.usage_in_bytes`), usage)
            : numberOr0(await readTextOrNull(`${dir}/memory.swap.current`));
          found.push({ path: rel, limitBytes, usageBytes, oomKills: flatKeyedValue(oom, 'oom_kill'), limitHits: v1 ? numberOr0(hits) : flatKeyedValue(hits, 'max'), swapBytes });
        }
      }
    }
    try {
      for (const entry of await readdir(dir, { withFileTypes: true })) if (entry.isDirectory()) queue.push(`${rel}/${entry.name}`);
    } catch {
      // gone while walked
    }
  }
  return found.sort((a, b) => b.usageBytes / b.limitBytes - a.usageBytes / a.limitBytes);
}
