// The leak report as a pprof profile: gzip'ed profile.proto (github.com/google/
// pprof, proto/profile.proto), which `go tool pprof`, Perfetto and speedscope open.
// Sample values: inuse_objects (count) and inuse_space (bytes), the estimate of
// what each call site still held when tracing stopped; the leaf (the allocator's
// caller) first, as pprof wants. Written by hand: the few fields used, no schema
// compiler. Pure (zlib's gzip is computation, not IO).
import { gzipSync } from 'node:zlib';
import type { Mapping } from '../model/host.js';
import type { LeakReport } from './leak-report.js';

/** Protobuf wire format, just enough: varints, length-delimited fields, packed varints. */
class Writer {
  private readonly bytes: number[] = [];

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.bytes.push(Number((v & 0x7fn) | 0x80n));
      v >>= 7n;
    }
    this.bytes.push(Number(v));
  }

  /** Field with a varint value (int64, uint64, bool); zero is left out (proto3). */
  int(field: number, value: number | bigint): this {
    if (value === 0 || value === 0n) return this;
    this.varint((field << 3) | 0);
    this.varint(value);
    return this;
  }

  bytesField(field: number, data: Uint8Array): this {
    this.varint((field << 3) | 2);
    this.varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }

  string(field: number, text: string): this {
    return this.bytesField(field, new TextEncoder().encode(text));
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytesField(field, inner.finish());
  }

  packed(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const inner = new Writer();
    for (const v of values) inner.varint(v);
    return this.bytesField(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
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
    locationIds: site.frames.map((f) => {
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
    values: [Math.round(site.count), Math.round(site.bytes)],
  }));

  const w = new Writer();
  const inuseObjects = str('inuse_objects');
  const count = str('count');
  const inuseSpace = str('inuse_space');
  const bytes = str('bytes');
  w.message(1, (v) => v.int(1, inuseObjects).int(2, count));
  w.message(1, (v) => v.int(1, inuseSpace).int(2, bytes));
  for (const s of samples) w.message(2, (v) => v.packed(1, s.locationIds).packed(2, s.values));
  for (const [path, m] of modules) {
    const filename = str(path);
    w.message(3, (v) => v.int(1, m.id).int(2, m.start).int(3, m.end).int(4, m.offset).int(5, filename).int(7, 1));
  }
  for (const loc of locations.values()) {
    w.message(4, (v) => v.int(1, loc.id).int(2, loc.mappingId).int(3, loc.address).message(4, (line) => line.int(1, loc.functionId)));
  }
  for (const fn of functions.values()) {
    const name = str(fn.name);
    const file = str(fn.module);
    w.message(5, (v) => v.int(1, fn.id).int(2, name).int(3, name).int(4, file));
  }
  const comment = str(`faultline leaks: pid ${report.pid} (${report.comm}), outstanding allocations older than ${report.minAgeMs} ms; ` +
    `1 in ${report.sample} allocations under 64 KiB sampled and scaled`);
  const space = str('space');
  // the string table must be complete before it is written: every str() call is above
  for (const s of strings) w.string(6, s);
  w.int(9, BigInt(Math.round(startTimeMs)) * 1_000_000n);
  w.int(10, BigInt(Math.round(report.durationMs)) * 1_000_000n);
  w.message(11, (v) => v.int(1, space).int(2, bytes));
  w.int(12, report.sample);
  w.packed(13, [comment]);
  w.int(14, inuseSpace);
  return w.finish();
}

export function pprofGzip(report: LeakReport, mappings: readonly Mapping[], startTimeMs: number): Buffer {
  return gzipSync(encodeProfile(report, mappings, startTimeMs));
}
