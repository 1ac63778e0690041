// Replay's heat at a time (src/serve/replay-source.ts) on the shipped sample, a real
// recording: whatever order the seeks come in (forward, back, the same time, in
// parallel), the heat sent with a snapshot is the guest-RAM hotspot faults of every
// snapshot up to it, summed here straight from the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { openRecording } from '../../src/record/reader.js';
import { ReplaySource } from '../../src/serve/replay-source.js';
import type { Frame, HeatFrame, Snapshot } from '../../src/model/snapshot.js';

const SAMPLE = fileURLToPath(new URL('../../samples/sample.flt', import.meta.url));

function fileHeat(snapshots: Snapshot[], last: number): Map<string, number> {
  const totals = new Map<string, number>();
  for (const s of snapshots.slice(0, last + 1)) {
    for (const vm of s.vms) for (const h of vm.hotspots) if (h.guestPhysAddress >= 0 && h.faults > 0) totals.set(vm.id, (totals.get(vm.id) ?? 0) + h.faults);
  }
  // the totals forget VMs absent from the last snapshot
  const present = new Set(snapshots[last]!.vms.map((v) => v.id));
  for (const id of totals.keys()) if (!present.has(id)) totals.delete(id);
  return totals;
}

function heatOf(frames: Frame[]): { seq: number; heat: HeatFrame } {
  const snapshot = frames.find((f): f is { snapshot: Snapshot } => 'snapshot' in f)!.snapshot;
  const heat = frames.find((f): f is { heat: HeatFrame } => 'heat' in f)!.heat;
  return { seq: snapshot.seq, heat };
}

test('the heat sent with each seek equals the file summed up to that snapshot, in any seek order', async () => {
  const snapshots: Snapshot[] = [];
  for await (const s of (await openRecording(SAMPLE)).snapshots()) snapshots.push(s);
  const source = new ReplaySource(SAMPLE);
  await source.load();
  const n = snapshots.length;
  const order = [n - 1, 3, 3, Math.floor(n / 2), 0, n - 2, Math.floor(n / 3), n - 1];
  // in parallel, as fast playback sends them: each answer is still its own time's
  const answers = await Promise.all(order.map((i) => source.seek(snapshots[i]!.timeMs)));
  let checked = 0;
  order.forEach((i, k) => {
    const { seq, heat } = heatOf(answers[k]!);
    assert.equal(seq, snapshots[i]!.seq);
    assert.equal(heat.reset, true);
    const expected = fileHeat(snapshots, i);
    const got = new Map(heat.vms.map((v) => [v.vmId, v.totalFaults]));
    for (const [id, faults] of expected) {
      assert.ok(Math.abs((got.get(id) ?? 0) - faults) <= 1e-9 * faults, `snapshot ${i}, ${id}: heat ${got.get(id)}, file ${faults}`);
      checked += 1;
    }
    for (const id of got.keys()) assert.ok(expected.has(id), `snapshot ${i}: heat for ${id} that the file has none for`);
  });
  assert.ok(checked >= 5, `the sample's VM has guest-RAM heat at most of these times (${checked})`);
});
