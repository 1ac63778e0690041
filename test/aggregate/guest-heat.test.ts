// The heat strip's and mapping split's totals (src/aggregate/guest-heat.ts), on
// synthetic snapshots (named so: hand-made rows with only the fields the sum reads).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestHeatTotals, HEAT_REGION_BYTES } from '../../src/aggregate/guest-heat.js';
import type { Hotspot, Snapshot, VmSnapshot } from '../../src/model/snapshot.js';

const MiB = 2 ** 20;

function syntheticVm(id: string, hotspots: Partial<Hotspot>[], map = { map4k: 0, map2m: 0, map1g: 0 }): VmSnapshot {
  return {
    id,
    hotspots: hotspots.map((h) => ({ region: 'guest-ram', mapping: '', startAddress: 0, guestPhysAddress: -1, bytes: 2 * MiB, faults: 0, source: 'kvm', ...h })),
    kvm: { ...map },
  } as unknown as VmSnapshot;
}

function syntheticSnapshot(seq: number, vms: VmSnapshot[]): Snapshot {
  return { seq, timeMs: 1000 * (seq + 1), intervalMs: 1000, vms, events: [] } as unknown as Snapshot;
}

test('faults are summed per 2 MiB guest-physical region; a 4 MiB hotspot spreads over two regions; non-guest RAM is left out', () => {
  const heat = new GuestHeatTotals();
  const changed = heat.add(syntheticSnapshot(0, [
    syntheticVm('a', [
      { guestPhysAddress: 0, faults: 10 },
      { guestPhysAddress: 6 * MiB, bytes: 4 * MiB, faults: 8 },
      { guestPhysAddress: -1, faults: 99, region: 'heap' },
    ]),
    syntheticVm('b', [{ guestPhysAddress: -1, faults: 5, region: 'heap' }]),
  ]));
  assert.deepEqual(changed, ['a']);
  heat.add(syntheticSnapshot(1, [syntheticVm('a', [{ guestPhysAddress: 1 * MiB, faults: 2 }]), syntheticVm('b', [])]));
  const a = heat.heatOf('a')!;
  assert.equal(a.regionBytes, HEAT_REGION_BYTES);
  assert.deepEqual(a.regions, [0, 3, 4]);
  assert.deepEqual(a.faults, [12, 4, 4]);
  assert.equal(a.totalFaults, 20);
  assert.equal(a.sinceMs, 1000);
  assert.equal(heat.heatOf('b'), null, 'b never faulted guest RAM');
});

test('mapping levels are summed; a VM absent from a snapshot is forgotten; a clone is independent', () => {
  const heat = new GuestHeatTotals();
  heat.add(syntheticSnapshot(0, [syntheticVm('a', [], { map4k: 3, map2m: 1, map1g: 0 }), syntheticVm('b', [], { map4k: 1, map2m: 0, map1g: 1 })]));
  const copy = heat.clone();
  heat.add(syntheticSnapshot(1, [syntheticVm('a', [], { map4k: 2, map2m: 0, map1g: 0 })]));
  assert.deepEqual([heat.heatOf('a')!.map4k, heat.heatOf('a')!.map2m], [5, 1]);
  assert.equal(heat.heatOf('b'), null, 'b left');
  assert.equal(copy.heatOf('a')!.map4k, 3, 'the clone did not move');
  assert.equal(copy.heatOf('b')!.map1g, 1);
  const frame = heat.frame(true);
  assert.equal(frame.reset, true);
  assert.deepEqual(frame.vms.map((v) => v.vmId), ['a']);
  assert.deepEqual(heat.frame(false, ['a', 'gone']).vms.map((v) => v.vmId), ['a']);
});
