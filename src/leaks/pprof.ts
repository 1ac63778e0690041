// The leak report as a pprof profile: gzip'ed profile.proto (github.com/google/
// pprof, proto/profile.proto), which `go tool pprof`, Perfetto and speedscope open.
// Sample values: inuse_objects (count) and inuse_space (bytes), the estimate of
// what each call site still held when tracing stopped; the leaf (the allocator's
// caller) first, as pprof wants. Encoded by protobufjs with src/proto/profile.proto,
// pprof's own schema (upstream commit 101d87f, 2025-08-30) copied unchanged, read
// once like faultline.proto (src/proto/codec.ts). Otherwise pure (zlib's gzip is
// computation, not IO).
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Mapping } from '../model/host.js';
import type { LeakReport } from './leak-report.js';

// From dist/leaks/ as from src/leaks/: the package's src/proto/, which package.json "files" ships.
const PROTO_PATH = fileURLToPath(new URL('../../src/proto/profile.proto', import.meta.url));

let profileType: protobuf.Type | null = null;

function schema(): protobuf.Type {
  profileType ??= protobuf.loadSync(PROTO_PATH).lookupType('perftools.profiles.Profile');
  return profileType;
}

/** long.js, which protobufjs writes 64-bit values past 2^53 from. */
const Long = protobuf.util.Long as unknown as { fromString(text: string): protobuf.Long };

/** Nanoseconds since the epoch pass 2^53: exact through a bigint. */
function nanos(ms: number): protobuf.Long {
  return Long.fromString(String(BigInt(Math.round(ms)) * 1_000_000n));
}

/** profile.proto bytes, not compressed. `mappings`: the process's /proc/PID/maps,
 * to give each module its address range. */
export function encodeProfile(report: LeakReport, mappings: readonly Mapping[], startTimeMs: number): Uint8Array {
  const strings = [''];
  const stringIndex = new Map<string, number>([['', 0]]);
  const str = (s: string): number => {
    let i = stringIndex.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      stringIndex.set(s, i);
    }
    return i;
  };
  const modules = new Map<string, { id: number; start: number; end: number; offset: number }>();
  const moduleOf = (path: string): number => {
    if (!path) return 0;
    let m = modules.get(path);
    if (!m) {
      const own = mappings.filter((x) => x.path === path);
      m = {
        id: modules.size + 1,
        start: own.length ? Math.min(...own.map((x) => x.start)) : 0,
        end: own.length ? Math.max(...own.map((x) => x.end)) : 0,
        offset: own.length ? own.reduce((a, b) => (a.start <= b.start ? a : b)).offset : 0,
      };
      modules.set(path, m);
    }
    return m.id;
  };
  const functions = new Map<string, { id: number; name: string; module: string }>();
  const locations = new Map<string, { id: number; mappingId: number; address: number; functionId: number }>();
  const samples = report.sites.map((site) => ({
    locationId: site.frames.map((f) => {
      const fnKey = `${f.symbol}\0${f.module}`;
      let fn = functions.get(fnKey);
      if (!fn) {
        fn = { id: functions.size + 1, name: f.symbol || `0x${f.address.toString(16)}`, module: f.module };
        functions.set(fnKey, fn);
      }
      const locKey = `${f.module}\0${f.address}\0${f.symbol}`;
      let loc = locations.get(locKey);
      if (!loc) {
        loc = { id: locations.size + 1, mappingId: moduleOf(f.module), address: f.address, functionId: fn.id };
        locations.set(locKey, loc);
      }
      return loc.id;
    }),
    value: [Math.round(site.count), Math.round(site.bytes)],
  }));

  // the string table fills in this order (sample types, mappings, functions, comment,
  // period type); it goes into the profile last, once every str() call is done.
  // Zeros are left out of the bytes by protobufjs (proto3 defaults).
  const inuseObjects = str('inuse_objects');
  const count = str('count');
  const inuseSpace = str('inuse_space');
  const bytes = str('bytes');
  const mapping = [...modules].map(([path, m]) => ({
    id: m.id, memoryStart: m.start, memoryLimit: m.end, fileOffset: m.offset, filename: str(path), hasFunctions: true,
  }));
  const location = [...locations.values()].map((loc) => ({
    id: loc.id, mappingId: loc.mappingId, address: loc.address, line: [{ functionId: loc.functionId }],
  }));
  const fn = [...functions.values()].map((f) => {
    const name = str(f.name);
    return { id: f.id, name, systemName: name, filename: str(f.module) };
  });
  const comment = str(`faultline leaks: pid ${report.pid} (${report.comm}), outstanding allocations older than ${report.minAgeMs} ms; ` +
    `1 in ${report.sample} allocations under 64 KiB sampled and scaled`);
  const space = str('space');
  return schema().encode({
    sampleType: [{ type: inuseObjects, unit: count }, { type: inuseSpace, unit: bytes }],
    sample: samples,
    mapping,
    location,
    function: fn,
    stringTable: strings,
    timeNanos: nanos(startTimeMs),
    durationNanos: nanos(report.durationMs),
    periodType: { type: space, unit: bytes },
    period: report.sample,
    comment: [comment],
    defaultSampleType: inuseSpace,
  }).finish();
}

export function pprofGzip(report: LeakReport, mappings: readonly Mapping[], startTimeMs: number): Buffer {
  return gzipSync(encodeProfile(report, mappings, startTimeMs));
}
