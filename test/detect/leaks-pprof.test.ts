// src/leaks/pprof.ts on a small made-up report, decoded with protobufjs from the
// schema it encodes with (src/proto/profile.proto, pprof's own): the string table,
// samples, mappings, locations and functions field by field; and the same profile as
// the hand-written encoder wrote before protobufjs replaced it (its bytes kept below).
// The real capture's profile is checked in leaks-report.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { encodeProfile, pprofGzip } from '../../src/leaks/pprof.js';
import type { LeakReport } from '../../src/leaks/leak-report.js';
import type { Mapping } from '../../src/model/host.js';

const Profile = protobuf.loadSync(fileURLToPath(new URL('../../src/proto/profile.proto', import.meta.url)))
  .lookupType('perftools.profiles.Profile');
/** What is on the wire: fields left at zero are absent. */
const decode = (bytes: Uint8Array): Record<string, unknown> => Profile.toObject(Profile.decode(bytes), { longs: Number });

const app = '/bin/app';
const libc = '/usr/lib/x86_64-linux-gnu/libc.so.6';
const madeUpMappings: Mapping[] = [
  { start: 0x400000, end: 0x401000, perms: 'r--p', offset: 0, inode: 7, path: app },
  { start: 0x401000, end: 0x402000, perms: 'r-xp', offset: 0x1000, inode: 7, path: app },
  { start: 0x7f772a314000, end: 0x7f772a46a000, perms: 'r-xp', offset: 0x26000, inode: 9, path: libc },
];
const mainFrame = { address: 0x401109, symbol: 'main', offset: 9, module: app };
const libcFrame = { address: 0x7f772a33a24a, symbol: '__libc_start_call_main', offset: 122, module: libc };
/** Two sites sharing their two outer frames; an unknown frame with no module; a
 * library missing from the maps; scaled (fractional) estimates. */
const madeUpReport: LeakReport = {
  pid: 42, comm: 'app', durationMs: 6000, sample: 16, minAgeMs: 1000,
  totalBytes: 1048576 + 131072, totalCount: 33, keptAllocations: 3, tableFull: false, lostEvents: 0,
  sites: [
    { bytes: 1048576, count: 1, sampled: 1, oldestAgeMs: 5000, frames: [
      { address: 0x7f00dead0000, symbol: '', offset: 0, module: '' },
      { address: 0x7f0011002233, symbol: 'helper', offset: 2, module: '/opt/libx.so' },
      mainFrame, libcFrame,
    ] },
    { bytes: 131072.4, count: 31.6, sampled: 2, oldestAgeMs: 4000, frames: [
      { address: 0x401004, symbol: 'leaky', offset: 4, module: app },
      mainFrame, libcFrame,
    ] },
  ],
};
const startTimeMs = 1_700_000_000_000;

/** encodeProfile(madeUpReport, madeUpMappings, startTimeMs) as the hand-written
 * protobuf writer of src/leaks/pprof.ts made it, the last version before protobufjs
 * (last changed in commit 6b2eddd). protobufjs writes the very same bytes today; the test asks only
 * that they decode the same. */
const OLD_HAND_WRITTEN_ENCODER_HEX_MADE_UP_REPORT =
  '0a04080110020a0408031004120c0a0401020304120401808040120b0a030503041204208080081a060801280538011a' +
  '10080210808080021880c08002280638011a1a0803108080c5d1f2ee1f1880c09ad2f2ee1f2080c00928073801220e08' +
  '01188080b4f58de01f2202080122100802100118b3c4808881e01f22020802220d080310021889a28002220208032210' +
  '0804100318cac4ced1f2ee1f22020804220d080510021884a08002220208052a060801100818082a0808021009180920' +
  '052a080803100a180a20062a080804100b180b20072a080805100c180c20063200320d696e7573655f6f626a65637473' +
  '3205636f756e74320b696e7573655f737061636532056279746573320c2f6f70742f6c6962782e736f32082f62696e2f' +
  '61707032232f7573722f6c69622f7838365f36342d6c696e75782d676e752f6c6962632e736f2e36320e307837663030' +
  '6465616430303030320668656c70657232046d61696e32165f5f6c6962635f73746172745f63616c6c5f6d61696e3205' +
  '6c65616b79327e6661756c746c696e65206c65616b733a207069642034322028617070292c206f75747374616e64696e' +
  '6720616c6c6f636174696f6e73206f6c646572207468616e2031303030206d733b203120696e20313620616c6c6f6361' +
  '74696f6e7320756e646572203634204b69422073616d706c656420616e64207363616c656432057370616365488080a8' +
  'b1e39fe7cb175080f882ad165a04080e100460106a010d7003';

test('pprof: a made-up report decodes to exactly its strings, samples, mappings, locations and functions', () => {
  const bytes = encodeProfile(madeUpReport, madeUpMappings, startTimeMs);
  const p = decode(bytes);
  assert.deepEqual(p.stringTable, [
    '', 'inuse_objects', 'count', 'inuse_space', 'bytes', '/opt/libx.so', app, libc,
    '0x7f00dead0000', 'helper', 'main', '__libc_start_call_main', 'leaky',
    'faultline leaks: pid 42 (app), outstanding allocations older than 1000 ms; 1 in 16 allocations under 64 KiB sampled and scaled',
    'space',
  ]);
  assert.deepEqual(p.sampleType, [{ type: 1, unit: 2 }, { type: 3, unit: 4 }]);
  // leaf first; counts and bytes rounded
  assert.deepEqual(p.sample, [
    { locationId: [1, 2, 3, 4], value: [1, 1048576] },
    { locationId: [5, 3, 4], value: [32, 131072] },
  ]);
  // one mapping per module, over all its segments; a module not in the maps has no range
  assert.deepEqual(p.mapping, [
    { id: 1, filename: 5, hasFunctions: true },
    { id: 2, memoryStart: 0x400000, memoryLimit: 0x402000, filename: 6, hasFunctions: true },
    { id: 3, memoryStart: 0x7f772a314000, memoryLimit: 0x7f772a46a000, fileOffset: 0x26000, filename: 7, hasFunctions: true },
  ]);
  // the unknown frame: no mapping, a function named by its address
  assert.deepEqual(p.location, [
    { id: 1, address: 0x7f00dead0000, line: [{ functionId: 1 }] },
    { id: 2, mappingId: 1, address: 0x7f0011002233, line: [{ functionId: 2 }] },
    { id: 3, mappingId: 2, address: 0x401109, line: [{ functionId: 3 }] },
    { id: 4, mappingId: 3, address: 0x7f772a33a24a, line: [{ functionId: 4 }] },
    { id: 5, mappingId: 2, address: 0x401004, line: [{ functionId: 5 }] },
  ]);
  assert.deepEqual(p.function, [
    { id: 1, name: 8, systemName: 8 },
    { id: 2, name: 9, systemName: 9, filename: 5 },
    { id: 3, name: 10, systemName: 10, filename: 6 },
    { id: 4, name: 11, systemName: 11, filename: 7 },
    { id: 5, name: 12, systemName: 12, filename: 6 },
  ]);
  assert.deepEqual(p.comment, [13]);
  assert.deepEqual(p.periodType, { type: 14, unit: 4 });
  assert.equal(p.period, 16);
  assert.equal(p.defaultSampleType, 3);
  // past 2^53: exact to the nanosecond
  const exact = Profile.toObject(Profile.decode(bytes), { longs: BigInt });
  assert.equal(exact.timeNanos, 1_700_000_000_000_000_000n);
  assert.equal(exact.durationNanos, 6_000_000_000n);
  assert.deepEqual(gunzipSync(pprofGzip(madeUpReport, madeUpMappings, startTimeMs)), Buffer.from(bytes));
});

test('pprof: protobufjs writes the profile the hand-written encoder wrote', () => {
  const now = decode(encodeProfile(madeUpReport, madeUpMappings, startTimeMs));
  const before = decode(Buffer.from(OLD_HAND_WRITTEN_ENCODER_HEX_MADE_UP_REPORT, 'hex'));
  assert.deepEqual(now, before);
});
