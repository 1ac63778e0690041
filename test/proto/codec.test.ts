import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrame, encodeFrame, frameToJson } from '../../src/proto/codec.js';
import type { Snapshot, VmSnapshot } from '../../src/model/snapshot.js';
import { makeEvent } from '../../src/aggregate/events.js';
import { buildSnapshot } from '../../src/aggregate/build-snapshot.js';
import { foldBatches } from '../../src/aggregate/probe-counters.js';

function sampleSnapshot(): Snapshot {
  const base = buildSnapshot({
    seq: 3, timeMs: 1764140000123, intervalMs: 1000, totals: foldBatches([]),
    processes: [{
      id: '42@7', pid: 42, startTimeTicks: 7, comm: 'qemu-system-x86', guestFaultSource: 'user-faults',
      identity: { name: 'web01', uuid: '6f1c1a9e-3b2d-4c55-9e0a-0123456789ab', memoryBytes: 512 * 2 ** 20, source: 'libvirt', vmid: '' },
      detail: null, minorFaults: 12, majorFaults: 1,
    }],
    host: { meminfoBytes: { MemTotal: 24 * 2 ** 30, MemAvailable: 20 * 2 ** 30 }, vmstat: {}, psiMemSomeAvg10: 0.25, psiMemFullAvg10: 0 },
    vmstat: { pgfault: 5, pgmajfault: 0, pswpin: 0, pswpout: 0, pgscanDirect: 0, pgscanKswapd: 0, pgstealDirect: 0, pgstealKswapd: 0, compactStall: 0, oomKill: 1, thpFaultAlloc: 0 },
    probes: { attached: ['faults'], groups: [{ group: 'faults', attached: true, error: '', lostEvents: 0, badLines: 0 }], bpftraceVersion: '0.17.0', badLines: 0 },
    lifecycleEvents: [makeEvent('vm-start', 1764140000123, { pid: 42, vmId: '42@7', message: 'VM web01 appeared' })],
    pidIndex: new Map(), hotspotLimit: 8,
  });
  const vm = base.vms[0] as VmSnapshot;
  vm.hotspots = [{ region: 'guest-ram', mapping: '', startAddress: 0x7f12_3456_0000, guestPhysAddress: 0x200000, bytes: 2 ** 21, faults: 16, source: 'user-faults' }];
  vm.growth.brkBytes = -8192;
  return base;
}

test('a Snapshot survives encode/decode unchanged: the TS types and faultline.proto agree', () => {
  const snapshot = sampleSnapshot();
  const decoded = decodeFrame(encodeFrame({ snapshot })) as { snapshot: Snapshot };
  assert.deepEqual(decoded.snapshot, JSON.parse(JSON.stringify(snapshot)));
});

test('JSON form has the fields the CLI promises, with numbers for addresses', () => {
  const json = (frameToJson({ snapshot: sampleSnapshot() }) as { snapshot: Snapshot }).snapshot;
  for (const key of ['timeMs', 'intervalMs', 'host', 'probes', 'vms', 'events']) assert.ok(key in json, key);
  const vm = json.vms[0]!;
  assert.equal(vm.kind, 'vm');
  assert.equal(vm.rss.guestRamBytes, 0);
  assert.equal(vm.hotspots[0]!.startAddress, 0x7f12_3456_0000);
  assert.equal(vm.hotspots[0]!.guestPhysAddress, 0x200000);
  assert.equal(json.host.psiMemSomeAvg10, 0.25);
  assert.equal(json.events[0]!.type, 'vm-start');
});

test('bytes that are not a Frame are an error, not a crash', () => {
  assert.throws(() => decodeFrame(new Uint8Array([0xff, 0xff, 0xff])));
  assert.throws(() => decodeFrame(new Uint8Array([])), /no meta, snapshot, event or history/);
});
