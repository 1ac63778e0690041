import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { decodeFrame, encodeFrame, frameToJson } from '../../src/proto/codec.js';
import type { Frame, Snapshot, VmSnapshot } from '../../src/model/snapshot.js';
import { FULL_FRAMES, FULL_SNAPSHOT } from './full-frames.js';
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
    vmstat: { pgfault: 5, pgmajfault: 0, pswpin: 0, pswpout: 0, pgscanDirect: 0, pgscanKswapd: 0, pgstealDirect: 0, pgstealKswapd: 0, compactStall: 0, oomKill: 1, thpFaultAlloc: 0, zswpin: 0, zswpout: 0, zswpwb: 0 },
    probes: { attached: ['faults'], groups: [{ group: 'faults', attached: true, error: '', lostEvents: 0, badLines: 0, points: [], sharesProcessWith: [], ownProcessReason: '' }], bpftraceVersion: '0.17.0', badLines: 0 },
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
  assert.throws(() => decodeFrame(new Uint8Array([])), /no meta, snapshot, event, history or heat/);
});

const FRAME = protobuf.loadSync(fileURLToPath(new URL('../../src/proto/faultline.proto', import.meta.url))).lookupType('faultline.Frame');

/** What encodeFrame did before it skipped fromObject: the reference bytes. */
function viaFromObject(frame: Frame): Uint8Array {
  return FRAME.encode(FRAME.fromObject(frame)).finish();
}

/** Paths of schema fields the object leaves at their default (in a repeated field:
 * in every element), and of its fields the schema does not have. */
function defaultFields(type: protobuf.Type, object: Record<string, unknown>, path: string): string[] {
  const missing: string[] = [];
  for (const field of type.fieldsArray) {
    if (field.partOf) continue; // Frame's oneof: one kind per frame
    const value = object[field.name];
    const at = `${path}.${field.name}`;
    const values = field.repeated ? (Array.isArray(value) ? value : []) : [value];
    const perValue = values.map((v): string[] => {
      if (!(field.resolvedType instanceof protobuf.Type)) return v === undefined || v === null || v === '' || v === 0 || v === false ? [at] : [];
      return typeof v === 'object' && v !== null ? defaultFields(field.resolvedType, v as Record<string, unknown>, at) : [at];
    });
    missing.push(...(perValue.length === 0 ? [at] : perValue.reduce((a, b) => a.filter((p) => b.includes(p)))));
  }
  // and the other way: a model field the schema lacks would be dropped silently
  for (const key of Object.keys(object)) if (!type.fields[key]) missing.push(`${path}.${key} (not in faultline.proto)`);
  return missing;
}

test('the full frames set every field of faultline.proto, and no other', () => {
  for (const [kind, frame] of FULL_FRAMES) {
    const type = FRAME.fields[kind]!.resolvedType as protobuf.Type;
    assert.deepEqual(defaultFields(type, (frame as unknown as Record<string, Record<string, unknown>>)[kind]!, kind), []);
  }
});

test('encodeFrame writes the same bytes as encode(fromObject(frame)), for every frame kind', () => {
  for (const [kind, frame] of FULL_FRAMES) {
    const copy = structuredClone(frame); // a fresh snapshot: not one encodeFrame has seen
    assert.deepEqual(Buffer.from(encodeFrame(copy)).toString('hex'), Buffer.from(viaFromObject(copy)).toString('hex'), kind);
  }
});

test('out-of-range numbers read back as fromObject converted them', () => {
  const snapshot = structuredClone(FULL_SNAPSHOT);
  const vm = snapshot.vms[0]!;
  vm.memoryBytes = 0.3 * 2 ** 30; // -m 0.3G: a fraction in a uint64
  vm.pid = 0.5; // uint32 fraction below 1
  vm.rss.ownAnonBytes = -4096; // negative uint64: fromObject wrote 0
  vm.rss.swapBytes = Number.NaN;
  vm.rss.fileBytes = Number.POSITIVE_INFINITY;
  vm.rss.anonBytes = 2 ** 64;
  vm.growth.brkBytes = -(2 ** 63) * 2; // sint64 past its range
  vm.hotspots[0]!.guestPhysAddress = Number.NEGATIVE_INFINITY;
  vm.numa[0]!.node = -1; // uint32 negative
  const expected = FRAME.toObject(FRAME.decode(viaFromObject({ snapshot })), { longs: Number, enums: String, defaults: true, arrays: true });
  assert.deepEqual(decodeFrame(encodeFrame({ snapshot })), { snapshot: expected['snapshot'] });
  assert.equal((decodeFrame(encodeFrame({ snapshot })) as { snapshot: Snapshot }).snapshot.vms[0]!.rss.ownAnonBytes, 0);
});

test('a snapshot is encoded once: the websocket and the recorder get the same bytes', () => {
  const snapshot = structuredClone(FULL_SNAPSHOT);
  const first = encodeFrame({ snapshot });
  assert.equal(encodeFrame({ snapshot }), first);
  assert.notEqual(encodeFrame({ snapshot: structuredClone(snapshot) }), first); // another snapshot: its own bytes
});

test("a finding kept from the last snapshot is written from its bytes: the same bytes as encoding it anew", () => {
  const first = structuredClone(FULL_SNAPSHOT);
  const kept = first.vms[0]!.findings;
  encodeFrame({ snapshot: first });
  // the next snapshot: new rows, the row's findings the same objects (its detectors did not run)
  const next = { ...structuredClone(FULL_SNAPSHOT), seq: first.seq + 1 };
  next.vms[0]!.findings = kept;
  next.host.findings = first.host.findings;
  assert.equal(Buffer.from(encodeFrame({ snapshot: next })).toString('hex'), Buffer.from(viaFromObject({ snapshot: next })).toString('hex'));
  // the detectors ran: a new finding object with other words gets its own bytes
  const judged = { ...structuredClone(FULL_SNAPSHOT), seq: first.seq + 2 };
  judged.vms[0]!.findings = [{ ...kept[0]!, verdict: 'leak', message: 'QEMU heap grows 2.4 KiB/s' }];
  const decoded = decodeFrame(encodeFrame({ snapshot: judged })) as { snapshot: Snapshot };
  assert.equal(decoded.snapshot.vms[0]!.findings[0]!.message, 'QEMU heap grows 2.4 KiB/s');
  assert.equal(decoded.snapshot.vms[0]!.findings[0]!.verdict, 'leak');
  assert.equal(Buffer.from(encodeFrame({ snapshot: judged })).toString('hex'), Buffer.from(viaFromObject({ snapshot: judged })).toString('hex'));
});
