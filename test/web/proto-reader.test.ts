// The browser's Frame decoder (web/src/proto-reader.ts, eval-free, driven by the
// schema's JSON descriptor) against protobufjs's own (src/proto/codec.ts): the same
// bytes give the same objects, for every Frame kind, NaN in history, negative sint64,
// 48-bit addresses. No browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';
import { encodeFrame } from '../../src/proto/codec.js';
import type { Frame } from '../../src/model/snapshot.js';
import { compileSchema, decodeMessage } from '../../web/src/proto-reader.js';
import { HistoryBuffer } from '../../src/serve/history.js';
import { syntheticMeta, syntheticSnapshot, syntheticSnapshots } from '../browser/synthetic-frames.js';

const PROTO = fileURLToPath(new URL('../../src/proto/faultline.proto', import.meta.url));
const root = protobuf.loadSync(PROTO);
const frameType = root.lookupType('faultline.Frame');
const schema = compileSchema(root.toJSON() as Parameters<typeof compileSchema>[0], 'faultline');
const host = { vmCount: 3, processCount: 2, seed: 7 };

/** protobufjs's reading, as codec.ts converts it; an absent sub-message, null there,
 * is its default object in the browser's reader (by design: see proto-reader.ts). The
 * one the schema leaves absent in practice is a living process's `exit`. */
function reference(bytes: Uint8Array): unknown {
  const decoded = frameType.toObject(frameType.decode(bytes), { longs: Number, defaults: true, arrays: true }) as { snapshot?: { vms?: { exit: unknown; guestMemory: unknown }[]; diagnosis?: unknown } };
  for (const row of decoded.snapshot?.vms ?? []) row.exit ??= { atMs: 0, cause: '', code: 0, signal: 0, faultsAtExit: false };
  // a row without the guest's own view (not a libvirt VM): every figure 0, read at 0
  for (const row of decoded.snapshot?.vms ?? []) {
    row.guestMemory ??= Object.fromEntries(['balloonCurrentBytes', 'balloonMaximumBytes', 'diskCachesBytes', 'guestUpdatedMs', 'majorFaults', 'memAvailableBytes', 'memFreeBytes',
      'memTotalBytes', 'minorFaults', 'readAtMs', 'swapInBytes', 'swapInPagesPerSec', 'swapOutBytes', 'swapOutPagesPerSec'].map((k) => [k, 0]));
  }
  // a snapshot without a diagnosis (recorded before faultline diagnosed)
  if (decoded.snapshot) (decoded.snapshot as { diagnosis?: unknown }).diagnosis ??= { status: '', headline: '', causes: [], window: { fromMs: 0, toMs: 0, snapshots: 0 } };
  return decoded;
}

function sameAsProtobufjs(frame: Frame): void {
  const bytes = encodeFrame(frame);
  assert.deepStrictEqual(decodeMessage(schema, 'Frame', bytes), reference(bytes));
}

test('meta, history, snapshot and event frames decode as protobufjs decodes them', () => {
  const snapshots = syntheticSnapshots(host, 5, 1_764_140_000_000);
  const buffer = new HistoryBuffer(10);
  for (const s of snapshots) buffer.push(s);
  const history = buffer.toHistory();
  history.vms[0]!.rssBytes[1] = Number.NaN;
  const snapshot = snapshots.at(-1)!;
  snapshot.vms[0]!.hotspots[0]!.startAddress = 0x7fff_ffff_f000; // 47-bit address, > 2^32
  snapshot.vms[0]!.growth.brkBytes = -8192; // sint64, negative
  snapshot.vms[0]!.hotspots.push({ ...snapshot.vms[0]!.hotspots[0]!, region: 'heap', guestPhysAddress: -1 });
  // the guest's own view with a figure the guest does not report (-1, sint64)
  snapshot.vms[0]!.guestMemory = {
    balloonCurrentBytes: 2 ** 31, balloonMaximumBytes: 2 ** 32, memTotalBytes: 2 ** 31 - 2 ** 25, memFreeBytes: 2 ** 28, memAvailableBytes: -1, diskCachesBytes: 2 ** 27,
    swapInBytes: 2 ** 34, swapOutBytes: 4096, majorFaults: 7, minorFaults: 2 ** 33, swapInPagesPerSec: -1, swapOutPagesPerSec: 0.5, guestUpdatedMs: 1_764_140_000_000, readAtMs: 1_764_140_000_250.5,
  };
  sameAsProtobufjs({ meta: syntheticMeta('replay', 1_764_140_000_000, 1_764_140_060_000) });
  sameAsProtobufjs({ history });
  sameAsProtobufjs({ snapshot });
  sameAsProtobufjs({ event: syntheticSnapshot(host, 11, 1_764_140_000_000).events[0]! });

  const decoded = decodeMessage(schema, 'Frame', encodeFrame({ snapshot })) as { snapshot: typeof snapshot };
  assert.equal(decoded.snapshot.vms[0]!.hotspots[0]!.startAddress, 0x7fff_ffff_f000);
  assert.equal(decoded.snapshot.vms[0]!.growth.brkBytes, -8192);
  assert.deepEqual(decoded.snapshot.vms[0]!.exit, { atMs: 0, cause: '', code: 0, signal: 0, faultsAtExit: false }, 'a living row: exit with no cause (the UI reads the cause)');
  assert.equal(decoded.snapshot.vms[0]!.hotspots.at(-1)!.guestPhysAddress, -1);
  assert.deepEqual(decoded.snapshot.vms[0]!.guestMemory, snapshot.vms[0]!.guestMemory);
  assert.equal(decoded.snapshot.vms[1]!.guestMemory!.readAtMs, 0, 'no reading: the default message, read at 0');
  assert.ok(Number.isNaN((decodeMessage(schema, 'Frame', encodeFrame({ history })) as { history: typeof history }).history.vms[0]!.rssBytes[1]));
});

test('an absent sub-message decodes as its default object, an absent oneof member stays absent', () => {
  const bytes = frameType.encode(frameType.fromObject({ snapshot: { seq: 1, timeMs: 5 } })).finish();
  const decoded = decodeMessage(schema, 'Frame', bytes) as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(decoded), ['snapshot']);
  assert.equal((decoded.snapshot!.host as { memTotalBytes: number }).memTotalBytes, 0);
  assert.equal((decoded.snapshot!.host as { vmstat: { oomKill: number } }).vmstat.oomKill, 0);
  assert.deepEqual(decoded.snapshot!.vms, []);
});

test('unknown fields are skipped; cut or garbled bytes throw', () => {
  const known = encodeFrame({ meta: syntheticMeta('live', 1) });
  // field 15 (varint 300) appended inside Meta would change its length; add it at Frame level instead
  const withUnknown = new Uint8Array([...known, 15 << 3, 0xac, 0x02]);
  assert.deepStrictEqual(decodeMessage(schema, 'Frame', withUnknown), reference(known));
  assert.throws(() => decodeMessage(schema, 'Frame', known.subarray(0, known.length - 3)));
  assert.throws(() => decodeMessage(schema, 'Frame', new Uint8Array([0x0d, 0, 0, 0, 0]))); // meta with wire type 5
});
