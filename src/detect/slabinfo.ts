// /proc/slabinfo: which kernel slab caches hold the memory, to name the caches
// behind growing unreclaimable slab (kernel-memory.ts). parseSlabinfo and
// slabGrowth are pure; SlabinfoReader does the IO (root only: slabinfo is 0400).
//
// Format (slabinfo version 2.1, SLUB), one cache per line:
//   # name <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables ... : slabdata <active_slabs> <num_slabs> <sharedavail>
//   kmalloc-64   10432  10432   64   64    1 : tunables    0    0    0 : slabdata    163    163      0
// Bytes held by a cache = num_slabs x pagesperslab x page size (what SUnreclaim and
// SReclaimable add up). Whether a cache is reclaimable is not in slabinfo: SLUB says
// it in /sys/kernel/slab/NAME/reclaim_account (1: counted in SReclaimable, e.g.
// dentry, inode caches). Caches merged by SLUB appear once, under one of their names.
import { readFile } from 'node:fs/promises';

export interface SlabCache {
  name: string;
  activeObjs: number;
  numObjs: number;
  objSizeBytes: number;
  bytes: number;
  /** From /sys/kernel/slab/NAME/reclaim_account; null when unknown. */
  reclaimable: boolean | null;
}

export interface SlabGrowth {
  name: string;
  bytes: number;
  growthBytes: number;
}

export function parseSlabinfo(text: string, pageSizeBytes = 4096): SlabCache[] {
  const caches: SlabCache[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('slabinfo') || line.startsWith('#') || !line.trim()) continue;
    const [head = '', , slabdata = ''] = line.split(':');
    const f = head.trim().split(/\s+/);
    const d = slabdata.trim().split(/\s+/);
    if (f.length < 6 || d[0] !== 'slabdata' || d.length < 3) continue;
    const [name, active, num, size, , pagesPerSlab] = f;
    caches.push({
      name: name!,
      activeObjs: Number(active),
      numObjs: Number(num),
      objSizeBytes: Number(size),
      bytes: Number(d[2]) * Number(pagesPerSlab) * pageSizeBytes,
      reclaimable: null,
    });
  }
  return caches;
}

/** The `top` caches that grew most from `before` to `after`, unreclaimable ones only
 * when that is known. */
const mostGrowthFirst = (a: SlabGrowth, b: SlabGrowth): number => b.growthBytes - a.growthBytes;

export function slabGrowth(before: readonly SlabCache[], after: readonly SlabCache[], top: number): SlabGrowth[] {
  // loops, not arrows made per call (see src/collect/collector.ts)
  const old = new Map<string, number>();
  for (const c of before) old.set(c.name, c.bytes);
  const grown: SlabGrowth[] = [];
  for (const c of after) {
    if (c.reclaimable === true) continue;
    const growthBytes = c.bytes - (old.get(c.name) ?? 0);
    if (growthBytes > 0) grown.push({ name: c.name, bytes: c.bytes, growthBytes });
  }
  return grown.sort(mostGrowthFirst).slice(0, top);
}

/** Reads /proc/slabinfo; reclaim_account per cache is read once and remembered. */
export class SlabinfoReader {
  private readonly reclaimable = new Map<string, boolean | null>();

  constructor(private readonly procRoot = '/proc', private readonly sysRoot = '/sys') {}

  /** The caches, or null when slabinfo cannot be read (not root, no SLUB stats). */
  async read(): Promise<SlabCache[] | null> {
    let text: string;
    try {
      text = await readFile(`${this.procRoot}/slabinfo`, 'utf8');
    } catch {
      return null;
    }
    const caches = parseSlabinfo(text);
    for (const c of caches) {
      if (!this.reclaimable.has(c.name)) {
        const flag = await readFile(`${this.sysRoot}/kernel/slab/${c.name}/reclaim_account`, 'utf8').catch(() => null);
        this.reclaimable.set(c.name, flag === null ? null : flag.trim() === '1');
      }
      c.reclaimable = this.reclaimable.get(c.name) ?? null;
    }
    return caches;
  }
}
