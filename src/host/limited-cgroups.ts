// Every memory cgroup that has a limit, wherever it is in the hierarchy (cgroup v1's
// memory controller when mounted, else v2): so a cgroup near its limit is seen even
// when none of its processes is a row (not a VM, not among the busiest, not --pid).
// IO; a directory that vanishes while walked is skipped.
import { readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { CgroupMemory } from '../model/snapshot.js';
import { readTextOrNull } from './read-proc-file.js';
import { flatKeyedValue } from './cgroup-memory.js';

const NO_LIMIT_FROM_BYTES = 2 ** 62;

export interface LimitedCgroupsOptions {
  cgroupRoot?: string;
  /** Only cgroups using at least this share of their limit are kept (default 50%). */
  minUsePct?: number;
  /** At most this many directories are read per walk (default 4000). */
  maxDirs?: number;
}

const num = (text: string | null): number => {
  const value = Number((text ?? '').trim());
  return Number.isFinite(value) ? value : 0;
};

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
      const limitText = await readTextOrNull(`${dir}/${v1 ? 'memory.limit_in_bytes' : 'memory.max'}`);
      const limitBytes = limitText === null || limitText.trim() === 'max' ? 0 : num(limitText);
      if (limitBytes > 0 && limitBytes < NO_LIMIT_FROM_BYTES) {
        const [usage, hits, oom] = await Promise.all(v1
          ? [readTextOrNull(`${dir}/memory.usage_in_bytes`), readTextOrNull(`${dir}/memory.failcnt`), readTextOrNull(`${dir}/memory.oom_control`)]
          : [readTextOrNull(`${dir}/memory.current`), readTextOrNull(`${dir}/memory.events`), readTextOrNull(`${dir}/memory.events`)]);
        const usageBytes = num(usage);
        if (usageBytes >= minUse * limitBytes) {
          found.push({ path: rel, limitBytes, usageBytes, oomKills: flatKeyedValue(oom, 'oom_kill'), limitHits: v1 ? num(hits) : flatKeyedValue(hits, 'max') });
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
