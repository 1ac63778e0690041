// Deep mode's pure parts (src/leaks/) on a real probes/leaks.bt capture and on
// made-up allocations: parsing the output, grouping by stack with the age filter
// and the sampling scale, the text report, and the pprof encoding. (Kept under
// test/detect/ with the other leak tests.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { parseLeaksOutput, type Allocation } from '../../src/leaks/parse-leaks.js';
import { buildLeakReport, type ReportOptions } from '../../src/leaks/leak-report.js';
import { renderLeakReport } from '../../src/leaks/render-leaks.js';
import { parseStack, frameText } from '../../src/leaks/stack.js';
import { libcTextOf } from '../../src/leaks/libc-text.js';
import { encodeProfile, pprofGzip } from '../../src/leaks/pprof.js';
import { PROFILE_PROTO } from '../harness/pprof-profile-proto.js';

const capture = readFileSync(new URL('fixtures/real-leaks-bt-0.17.ndjson', import.meta.url), 'utf8').split('\n');
const options = (o: Partial<ReportOptions> = {}): ReportOptions => ({
  pid: 42, comm: 'leak-callsites', durationMs: 6000, sample: 16, minAgeMs: 1000, top: 10, endNs: 0, tableLimit: 65536, lostEvents: 0, ...o,
});

test('parse: a real capture gives the outstanding allocations with sizes, birth times and symbolized stacks', () => {
  const out = parseLeaksOutput(capture);
  assert.equal(out.ready, true);
  assert.equal(out.startNs, 3193689297719);
  assert.equal(out.endNs, 3200264420675);
  assert.equal(out.allocations.length, 35);
  assert.equal(out.badLines, 0);
  const a = out.allocations[0]!;
  assert.equal(a.bytes, 4096);
  assert.ok(a.bornNs > out.startNs && a.bornNs < out.endNs);
  assert.deepEqual(a.frames.map(frameText), ['keep_session+14 (leak-callsites)', 'main+131 (leak-callsites)', '__libc_start_call_main+122 (libc.so.6)']);
});

test('report: grouped by stack, young ones left out, small ones scaled by the sample rate, big ones not', () => {
  const frames = (fn: string) => parseStack(`\n\t401000 ${fn}+4 (/bin/app)\n\t401100 main+9 (/bin/app)\n`);
  const at = (s: number): number => s * 1e9;
  const allocations: Allocation[] = [
    { address: 1, bytes: 4096, bornNs: at(1), frames: frames('leaky') },
    { address: 2, bytes: 4096, bornNs: at(2), frames: frames('leaky') },
    { address: 3, bytes: 1 << 20, bornNs: at(1), frames: frames('big') },
    { address: 4, bytes: 4096, bornNs: at(9.5), frames: frames('young') },
  ];
  const r = buildLeakReport(allocations, options({ endNs: at(10), minAgeMs: 1000 }));
  assert.deepEqual(r.sites.map((s) => s.frames[0]!.symbol), ['big', 'leaky']);
  assert.equal(r.sites[0]!.bytes, 1 << 20);
  assert.equal(r.sites[0]!.count, 1);
  assert.equal(r.sites[1]!.bytes, 2 * 4096 * 16);
  assert.equal(r.sites[1]!.count, 32);
  assert.equal(r.sites[1]!.sampled, 2);
  assert.equal(r.sites[1]!.oldestAgeMs, 9000);
  assert.equal(r.totalBytes, (1 << 20) + 2 * 4096 * 16);
  assert.equal(r.keptAllocations, 4);
  assert.equal(buildLeakReport(allocations, options({ endNs: at(10), tableLimit: 4 })).tableFull, true);
  const text = renderLeakReport(r);
  assert.match(text, /1 in 16 allocations under 64 KiB kept, scaled/);
  assert.match(text, / {7}1 MiB  ~1 allocations \(1 kept\), oldest 9 s\n {6}big\+4 \(app\)\n {6}main\+9 \(app\)/);
});

test('stack lines: unknown symbols keep their address; libc text found in maps', () => {
  const [known, unknown] = parseStack('\n\t55eba2a6d162 leak_here+9 (/tmp/m)\n\t7fb3d9364000 [unknown] ([unknown])\n');
  assert.deepEqual(known, { address: 0x55eba2a6d162, symbol: 'leak_here', offset: 9, module: '/tmp/m' });
  assert.equal(frameText(unknown!), '0x7fb3d9364000');
  const maps = [
    '7f772a2ee000-7f772a314000 r--p 00000000 fe:00 339380 /usr/lib/x86_64-linux-gnu/libc.so.6',
    '7f772a314000-7f772a46a000 r-xp 00026000 fe:00 339380 /usr/lib/x86_64-linux-gnu/libc.so.6',
  ].join('\n');
  assert.deepEqual(libcTextOf(maps), { path: '/usr/lib/x86_64-linux-gnu/libc.so.6', start: 0x7f772a314000, end: 0x7f772a46a000 });
  assert.equal(libcTextOf('55d0c8a00000-55d0c8a21000 rw-p 00000000 00:00 0 [heap]'), null);
});


test('pprof: the real capture encodes to a profile.proto that decodes back, leaf first, with mappings', () => {
  const out = parseLeaksOutput(capture);
  const report = buildLeakReport(out.allocations, options({ endNs: out.endNs }));
  const mappings = [{ start: 0x5622e0151000, end: 0x5622e0153000, perms: 'r-xp', offset: 0x1000, inode: 1, path: '/tmp/fl/leak-callsites' }];
  const Profile = protobuf.parse(PROFILE_PROTO).root.lookupType('Profile');
  const p = Profile.toObject(Profile.decode(gunzipSync(pprofGzip(report, mappings, 1_700_000_000_000))), { longs: Number, defaults: true }) as {
    stringTable: string[]; sampleType: { type: number; unit: number }[]; sample: { locationId: number[]; value: number[] }[];
    location: { id: number; mappingId: number; address: number; line: { functionId: number }[] }[];
    function: { id: number; name: number }[]; mapping: { id: number; memoryStart: number; filename: number }[];
    timeNanos: number; durationNanos: number; period: number; defaultSampleType: number;
  };
  assert.equal(p.stringTable[0], '');
  assert.deepEqual(p.sampleType.map((t) => `${p.stringTable[t.type]}/${p.stringTable[t.unit]}`), ['inuse_objects/count', 'inuse_space/bytes']);
  assert.equal(p.stringTable[p.defaultSampleType], 'inuse_space');
  assert.equal(p.sample.length, report.sites.length);
  const s = p.sample[0]!;
  assert.deepEqual(s.value, [Math.round(report.sites[0]!.count), Math.round(report.sites[0]!.bytes)]);
  const names = s.locationId.map((id) => {
    const loc = p.location.find((l) => l.id === id)!;
    return p.stringTable[p.function.find((f) => f.id === loc.line[0]!.functionId)!.name];
  });
  assert.deepEqual(names, ['keep_session', 'main', '__libc_start_call_main']);
  const leaf = p.location.find((l) => l.id === s.locationId[0])!;
  assert.equal(leaf.address, 0x5622e01521e7);
  const mapping = p.mapping.find((m) => m.id === leaf.mappingId)!;
  assert.equal(p.stringTable[mapping.filename], '/tmp/fl/leak-callsites');
  assert.equal(mapping.memoryStart, 0x5622e0151000);
  assert.equal(p.timeNanos, 1_700_000_000_000 * 1e6);
  assert.equal(p.period, 16);
  assert.ok(encodeProfile(report, [], 0).length > 100);
});
