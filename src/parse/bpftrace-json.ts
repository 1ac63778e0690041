// bpftrace `-f json` output, one line at a time, to typed records. Pure.
//
// Tolerates the shapes bpftrace has printed from 0.17 (Debian 12) to 0.26:
// - NDJSON, one object per line; blank lines at exit (0.17 prints "\n\n") are skipped;
// - `map`/`stats` records: {"@name": {"k1,k2": value}} (tuple keys joined with commas,
//   spaces stripped from 0.24) or a scalar {"@name": value};
// - `hist`: {"@name": [buckets]} or keyed {"@name": {"key": [buckets]}}; the negative
//   bucket has no `min`;
// - integers as numbers, or (0.24+) as strings when a double cannot hold them;
// - `lost_events` as {"data": {"events": N}} and (0.24+) with a top-level `count`;
// - `helper_error` (0.23+: a BPF helper failed at run time, e.g. a per-CPU map update
//   that raced another CPU's first insert, "File exists"): the update it was making is
//   lost, so it counts as one lost event;
// - unknown types (time, join, errorf, runtime_error...) are `other`, never fatal.
// Our probes key maps by numbers only, so a key that is not numbers is a bad record.
// Map records come as MapTables (flat arrays, src/parse/map-table.ts); the lines that
// carry almost all of the volume take a scanner that skips JSON.parse
// (src/parse/map-line-scanner.ts), everything else is parsed here.
import { emptyMapTable, type MapTable } from './map-table.js';
import { scanMapLine } from './map-line-scanner.js';

export type { MapEntry, MapTable } from './map-table.js';

export interface HistBucketRecord {
  /** Lower bound; the negative bucket (no `min` in the JSON) gets -Infinity. */
  min: number;
  max: number;
  count: number;
}

export interface HistEntry {
  key: number[];
  buckets: HistBucketRecord[];
}

export type BpftraceRecord =
  | { type: 'map'; name: string; table: MapTable }
  | { type: 'hist'; name: string; entries: HistEntry[] }
  | { type: 'printf'; text: string }
  | { type: 'lost'; events: number }
  | { type: 'attached'; probes: number }
  | { type: 'other'; kind: string };

export type LineResult =
  | { ok: true; records: BpftraceRecord[] }
  | { ok: false; reason: string };

const SKIP: LineResult = { ok: true, records: [] };

/** A JSON number, or a decimal string (0.24+ prints big u64 so). NaN when neither, or
 * when it is too large for a double (no Infinity reaches the counters). */
export function toNumber(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : Number.NaN;
}

/** "123,4" -> [123, 4]; "" -> []; null when a part is not a number. */
export function parseKey(key: string): number[] | null {
  if (key === '') return [];
  // fast path, what our probes print: unsigned integers joined by commas, each short
  // enough (15 digits) to add up exactly in a double
  const parts: number[] = [];
  let value = 0;
  let digits = 0;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 48 && c <= 57 && digits < 15) {
      value = value * 10 + (c - 48);
      digits += 1;
    } else if (c === 44 && digits > 0) {
      parts.push(value);
      value = 0;
      digits = 0;
    } else {
      return parseKeySlowly(key);
    }
  }
  if (digits === 0) return parseKeySlowly(key);
  parts.push(value);
  return parts;
}

function parseKeySlowly(key: string): number[] | null {
  const parts = key.split(',').map((p) => toNumber(p.trim()));
  return parts.some((p) => Number.isNaN(p)) ? null : parts;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseMapValue(name: string, value: unknown): BpftraceRecord | string {
  if (!isObject(value)) {
    const scalar = toNumber(value);
    if (Number.isNaN(scalar)) return `map ${name}: value is not a number`;
    return { type: 'map', name, table: { keyWidth: 0, keys: [], values: [scalar] } };
  }
  // stats() prints {"count","average","total"} for a scalar map
  if ('total' in value && 'count' in value && 'average' in value) {
    return { type: 'map', name, table: { keyWidth: 0, keys: [], values: [toNumber(value.total)] } };
  }
  const table = emptyMapTable(-1);
  let mixedWidths = false;
  // for-in, not Object.entries: a region map has thousands of keys, and the [key,
  // value] pairs cost more than the rest of the loop (JSON.parse objects have no
  // inherited enumerable keys)
  for (const rawKey in value) {
    const rawValue = value[rawKey];
    const key = parseKey(rawKey);
    const number = typeof rawValue === 'number' ? (Number.isFinite(rawValue) ? rawValue : Number.NaN) : isObject(rawValue) ? toNumber(rawValue.total) : toNumber(rawValue);
    if (key === null || Number.isNaN(number)) return `map ${name}: key "${rawKey.slice(0, 40)}" or its value is not numeric`;
    if (table.keyWidth === -1) table.keyWidth = key.length;
    else if (key.length !== table.keyWidth) mixedWidths = true;
    for (const k of key) table.keys.push(k);
    table.values.push(number);
  }
  if (mixedWidths) return `map ${name}: keys of different lengths`;
  // an empty map has no key to take a width from
  if (table.keyWidth === -1) table.keyWidth = 0;
  return { type: 'map', name, table };
}

function parseBuckets(raw: unknown): HistBucketRecord[] | null {
  if (!Array.isArray(raw)) return null;
  const buckets: HistBucketRecord[] = [];
  for (const b of raw) {
    if (!isObject(b)) return null;
    const count = toNumber(b.count);
    const max = toNumber(b.max);
    const min = 'min' in b ? toNumber(b.min) : Number.NEGATIVE_INFINITY;
    if (Number.isNaN(count) || Number.isNaN(max) || Number.isNaN(min)) return null;
    buckets.push({ min, max, count });
  }
  return buckets;
}

function parseHistValue(name: string, value: unknown): BpftraceRecord | string {
  if (Array.isArray(value)) {
    const buckets = parseBuckets(value);
    return buckets ? { type: 'hist', name, entries: [{ key: [], buckets }] } : `hist ${name}: bad buckets`;
  }
  if (!isObject(value)) return `hist ${name}: not an array or object`;
  const entries: HistEntry[] = [];
  for (const [rawKey, rawBuckets] of Object.entries(value)) {
    const key = parseKey(rawKey);
    const buckets = parseBuckets(rawBuckets);
    if (key === null || buckets === null) return `hist ${name}: bad key or buckets`;
    entries.push({ key, buckets });
  }
  return { type: 'hist', name, entries };
}

function parseMaps(
  data: unknown,
  parseOne: (name: string, value: unknown) => BpftraceRecord | string,
): LineResult {
  if (!isObject(data)) return { ok: false, reason: 'map data is not an object' };
  const records: BpftraceRecord[] = [];
  for (const [name, value] of Object.entries(data)) {
    const record = parseOne(name, value);
    if (typeof record === 'string') return { ok: false, reason: record };
    records.push(record);
  }
  return { ok: true, records };
}

export function parseBpftraceLine(line: string): LineResult {
  const scanned = scanMapLine(line);
  if (scanned) return { ok: true, records: scanned.map(({ name, table }) => ({ type: 'map', name, table })) };
  return parseJsonLine(line);
}

/** Any line, through JSON.parse (the scanner's reference: they agree where both accept). */
export function parseJsonLine(line: string): LineResult {
  const text = line.trim();
  if (text === '') return SKIP;
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return { ok: false, reason: `not JSON: ${text.slice(0, 80)}` };
  }
  if (!isObject(message) || typeof message.type !== 'string') {
    return { ok: false, reason: 'no "type" field' };
  }
  const data = message.data;
  switch (message.type) {
    case 'map':
    case 'stats':
      return parseMaps(data, parseMapValue);
    case 'hist':
      return parseMaps(data, parseHistValue);
    case 'printf':
      return typeof data === 'string'
        ? { ok: true, records: [{ type: 'printf', text: data }] }
        : { ok: false, reason: 'printf data is not a string' };
    case 'lost_events': {
      const events = isObject(data) ? toNumber(data.events) : toNumber(message.count);
      return Number.isNaN(events)
        ? { ok: false, reason: 'lost_events without a count' }
        : { ok: true, records: [{ type: 'lost', events }] };
    }
    case 'helper_error':
      return { ok: true, records: [{ type: 'lost', events: 1 }] };
    case 'attached_probes': {
      const probes = isObject(data) ? toNumber(data.probes) : toNumber(message.count);
      return { ok: true, records: [{ type: 'attached', probes: Number.isNaN(probes) ? 0 : probes }] };
    }
    default:
      return { ok: true, records: [{ type: 'other', kind: message.type }] };
  }
}
