// What encoding one 100-VM snapshot frame costs (src/proto/codec.ts, encodeFrame),
// when its rows' findings are the objects the last frame had (a row keeps them from
// one judgment of its detectors to the next: 4 frames of 5 with the default window)
// and when they are new (at a judgment, and every frame before findings' bytes were
// kept). Synthetic snapshots: test/proto/full-frames.ts's row, 100 times, with 4
// findings each, worded as the detectors word them for an idle VM. Pure CPU, no root.
// Medians over --runs; a snapshot is new each frame either way (encodeFrame keeps a
// snapshot's bytes, and a live session's snapshots are all new).
//   npm run bench -- encode-cost [--runs 5]
import type { Finding, Snapshot, VmSnapshot } from '../src/model/snapshot.js';
import { encodeFrame } from '../src/proto/codec.js';
import { FULL_SNAPSHOT } from '../test/proto/full-frames.js';
import { fixed, formatTable, median } from './lib/stats.js';

const VMS = 100;
const FRAMES = 200;

function idleFindings(): Finding[] {
  const base = { growthBytesPerSec: 0, windowMs: 127_002, fit: 0, sinceMs: 1_796_678_187_756, timeToLimitMs: -1, limitBytes: 0, limitName: '', quantities: [] };
  return [
    { ...base, detector: 'qemu-own', verdict: 'insufficient-data', message: "QEMU's own memory (anon, not guest RAM): not judged, not enough history yet (needs 9.5 min of samples)" },
    { ...base, detector: 'guest-growth', verdict: 'insufficient-data', message: 'guest RAM: not judged, not enough history yet (needs 9.5 min of samples)' },
    { ...base, detector: 'balloon', verdict: 'ok', message: 'balloon: no inflate in the last 2.12 min', sinceMs: 0 },
    { ...base, detector: 'mapping-growth', verdict: 'insufficient-data', message: 'net mapped bytes (mmap + brk - munmap): not judged, not enough history yet (needs 9.5 min of samples)' },
  ];
}

function rowsWith(findings: Finding[][]): VmSnapshot[] {
  const row = FULL_SNAPSHOT.vms[0]!;
  return findings.map((f, i) => ({ ...structuredClone(row), id: `${1000 + i}@${i}`, pid: 1000 + i, name: `vm-${i}`, findings: f }));
}

function frameMs(next: (i: number) => Snapshot): number {
  const snapshots = Array.from({ length: FRAMES }, (_, i) => next(i));
  const t = process.hrtime.bigint();
  for (const snapshot of snapshots) encodeFrame({ snapshot });
  return Number(process.hrtime.bigint() - t) / FRAMES / 1e6;
}

export function benchEncodeCost(options: { runs: number; log: (line: string) => void }): string {
  const kept = Array.from({ length: VMS }, idleFindings);
  const variants: [string, (i: number) => Snapshot][] = [
    ['findings kept from the last frame', () => ({ ...FULL_SNAPSHOT, vms: rowsWith(kept) })],
    ['findings new (a judgment; every frame before)', () => ({ ...FULL_SNAPSHOT, vms: rowsWith(kept.map((f) => structuredClone(f))) })],
    ['no findings', () => ({ ...FULL_SNAPSHOT, vms: rowsWith(kept.map(() => [])) })],
  ];
  const perRun = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  let bytes = 0;
  for (let r = 0; r < options.runs; r++) {
    // alternating, in a turning order, so a noisy moment (or the garbage one variant
    // leaves for the next one's collector) lands on all variants alike
    for (let k = 0; k < variants.length; k++) {
      const [name, next] = variants[(r + k) % variants.length]!;
      perRun.get(name)!.push(frameMs(next));
      if (name.startsWith('findings kept')) bytes = encodeFrame({ snapshot: next(0) }).length;
    }
    options.log(`encode-cost: run ${r + 1}/${options.runs} done`);
  }
  const keptMs = median(perRun.get(variants[0]![0])!);
  return [
    `Encode cost: one ${VMS}-VM snapshot frame (${Math.round(bytes / 1024)} KiB), ms per frame, median of ${options.runs} runs of ${FRAMES} frames`,
    formatTable(
      ['findings', 'ms per frame', 'x kept'],
      variants.map(([name]) => {
        const ms = median(perRun.get(name)!);
        return [name, fixed(ms, 3), fixed(ms / keptMs, 2)];
      }),
    ),
  ].join('\n');
}
