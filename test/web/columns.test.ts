// The browser appends each live snapshot to its chart columns (web/src/columns.ts); the
// server builds History from the same snapshots (src/serve/history.ts). A client that
// connected early and one that connects late must draw the same points: columns grown
// one snapshot at a time equal the server's History of those snapshots. No browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryBuffer } from '../../src/serve/history.js';
import type { History, Snapshot } from '../../src/model/snapshot.js';
import { appendSnapshot, columnsFromHistory, HOST_SERIES, VM_SERIES, type Columns } from '../../web/src/columns.js';
import { syntheticSnapshots } from '../browser/synthetic-frames.js';

const nullIfNaN = (v: number): number | null => (Number.isNaN(v) ? null : v);

function asColumns(history: History): { timeMs: number[]; host: Record<string, (number | null)[]>; vms: Record<string, Record<string, (number | null)[]>> } {
  const vms: Record<string, Record<string, (number | null)[]>> = {};
  for (const v of history.vms) vms[v.id] = Object.fromEntries(VM_SERIES.map((n) => [n, v[n].map(nullIfNaN)]));
  return { timeMs: history.timeMs, host: Object.fromEntries(HOST_SERIES.map((n) => [n, history.host[n].map(nullIfNaN)])), vms };
}

function plain(columns: Columns): ReturnType<typeof asColumns> {
  const vms: Record<string, Record<string, (number | null)[]>> = {};
  for (const [id, v] of columns.vms) vms[id] = Object.fromEntries(VM_SERIES.map((n) => [n, v[n]]));
  return { timeMs: columns.timeMs, host: columns.host, vms };
}

/** Drops VM `id` from snapshots [from, to): a VM that exits and a new one that appears. */
function withGap(snapshots: Snapshot[], id: string, from: number, to: number): Snapshot[] {
  return snapshots.map((s, i) => (i >= from && i < to ? { ...s, vms: s.vms.filter((v) => v.id !== id) } : s));
}

test('columns grown snapshot by snapshot equal the server History of the same snapshots', () => {
  const all = syntheticSnapshots({ vmCount: 4, processCount: 2, seed: 3 }, 40, 1_764_140_000_000);
  const snapshots = withGap(all, all[0]!.vms[1]!.id, 10, 25);
  const server = new HistoryBuffer(30);
  for (const s of snapshots.slice(0, 12)) server.push(s);
  // the browser connects after 12 snapshots, then appends the next 28 (capacity 30)
  const columns = columnsFromHistory(server.toHistory(), 30);
  for (const s of snapshots.slice(12)) {
    server.push(s);
    appendSnapshot(columns, s);
  }
  assert.equal(columns.timeMs.length, 30);
  assert.deepStrictEqual(plain(columns), asColumns(server.toHistory()));
});

test('a snapshot already in the history (the one sent after it on connect) is not appended twice', () => {
  const snapshots = syntheticSnapshots({ vmCount: 2, processCount: 0, seed: 1 }, 5, 1_764_140_000_000);
  const server = new HistoryBuffer(600);
  for (const s of snapshots) server.push(s);
  const columns = columnsFromHistory(server.toHistory(), 600);
  appendSnapshot(columns, snapshots.at(-1)!);
  assert.equal(columns.timeMs.length, 5);
  assert.equal(columns.capacity, 600);
});
