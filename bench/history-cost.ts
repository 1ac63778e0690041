// What the UI's chart history (src/serve/history.ts, HistoryBuffer) costs per snapshot
// once full: 100 VMs and N new process rows per interval (short-lived processes that
// were among the busiest: cron jobs, health checks, an agent's helpers), 15 min of 1 s
// points (900, `faultline live`'s default --history), timed over the 15 min after 30
// min of pushes. Synthetic snapshots; pure CPU, no root. `--baseline REF` loads
// src/serve/history.ts at git REF (its one import pointed at this tree's model) and
// times both, alternating, in the same process. Medians over --runs.
//   npm run bench -- history-cost [--runs 3] [--baseline REF]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Snapshot, VmSnapshot } from '../src/model/snapshot.js';
import { HistoryBuffer } from '../src/serve/history.js';
import { fixed, formatTable, median } from './lib/stats.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const HISTORY_POINTS = 900;
const VMS = 100;

interface History {
  push(s: Snapshot): void;
  toHistory(): { vms: unknown[] };
}
type HistoryClass = new (maxPoints: number) => History;

function row(id: string, kind: 'vm' | 'process', rssBytes: number): VmSnapshot {
  return {
    id, name: id, kind,
    rss: { totalBytes: rssBytes, guestRamBytes: kind === 'vm' ? rssBytes : 0, ownAnonBytes: 1, fileBytes: 2, swapBytes: 0 },
    faults: { minor: 1, major: 0, guestRam: 0 }, kvm: { eptFaults: 0 }, reclaim: { stallNs: 0 },
  } as unknown as VmSnapshot;
}

function snapshots(count: number, newProcessesPerInterval: number): Snapshot[] {
  return Array.from({ length: count }, (_, i) => ({
    timeMs: i * 1000, intervalMs: 1000, events: [], probes: { lostEvents: 0 },
    host: { memAvailableBytes: 1, swapUsedBytes: 0, psiMemSomeAvg10: 0 },
    vms: [
      ...Array.from({ length: VMS }, (_, k) => row(`vm${k}`, 'vm', 2 ** 30 + i)),
      ...Array.from({ length: newProcessesPerInterval }, (_, k) => row(`p${i}-${k}`, 'process', 2 ** 20)),
    ],
  }) as unknown as Snapshot);
}

/** µs per push over the second half of 3 x HISTORY_POINTS pushes. */
function timePushes(Buffer: HistoryClass, all: Snapshot[]): number {
  const history = new Buffer(HISTORY_POINTS);
  const warm = all.length - HISTORY_POINTS;
  for (const s of all.slice(0, warm)) history.push(s);
  const started = process.hrtime.bigint();
  for (const s of all.slice(warm)) history.push(s);
  return Number(process.hrtime.bigint() - started) / 1000 / HISTORY_POINTS;
}

/** HistoryBuffer at git REF, loaded from a temporary copy. */
async function baselineHistory(ref: string): Promise<{ Buffer: HistoryClass; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-history-'));
  const text = execFileSync('git', ['-C', ROOT, 'show', `${ref}:src/serve/history.ts`], { encoding: 'utf8' })
    .replace(/'\.\.\/model\/snapshot\.js'/g, `'${pathToFileURL(join(ROOT, 'src/model/snapshot.ts')).href}'`);
  const file = join(dir, 'history.ts');
  writeFileSync(file, text);
  const module = (await import(pathToFileURL(file).href)) as { HistoryBuffer: HistoryClass };
  return { Buffer: module.HistoryBuffer, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function benchHistoryCost(options: { runs: number; baseline?: string; log: (line: string) => void }): Promise<string> {
  const trees: Array<{ label: string; Buffer: HistoryClass; remove?(): void }> = [{ label: 'this tree', Buffer: HistoryBuffer }];
  if (options.baseline) trees.push({ label: options.baseline, ...(await baselineHistory(options.baseline)) });
  const rows: string[][] = [];
  try {
    for (const newPerInterval of [0, 1, 5]) {
      options.log(`history-cost: ${newPerInterval} new process rows per interval`);
      const all = snapshots(3 * HISTORY_POINTS, newPerInterval);
      const byTree = new Map(trees.map((t) => [t.label, [] as number[]]));
      for (let run = 0; run < options.runs; run++) for (const t of trees) byTree.get(t.label)!.push(timePushes(t.Buffer, all));
      for (const t of trees) {
        const us = median(byTree.get(t.label)!);
        rows.push([t.label, String(newPerInterval), fixed(us, 0), fixed(us / 1e4, 3)]);
      }
    }
  } finally {
    for (const t of trees) t.remove?.();
  }
  return [
    `Chart history (HistoryBuffer): ${VMS} VMs + N new process rows per 1 s interval, ${HISTORY_POINTS} points kept, µs per snapshot once full (median of ${options.runs})`,
    formatTable(['tree', 'new rows per interval', 'µs per snapshot', '% of a core at 1 s'], rows),
  ].join('\n');
}
