// The map-line scanner (src/parse/map-line-scanner.ts) against JSON.parse: on every
// map line our probes printed (captured from bpftrace 0.17, and the synthetic 0.24
// shapes), on thousands of seeded mutations of them, and on lines it must leave to
// JSON.parse. Where the scanner accepts a line, JSON.parse must accept it too and
// give the same tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBpftraceLine, parseJsonLine, type BpftraceRecord } from '../../src/parse/bpftrace-json.js';
import { scanMapLine } from '../../src/parse/map-line-scanner.js';
import { mapEntries, type MapTable } from '../../src/parse/map-table.js';
import { mulberry32 } from '../harness/seeded-random.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/bpftrace/', import.meta.url));

function capturedMapLines(): string[] {
  const lines: string[] = [];
  for (const dir of ['0.17', 'synthetic-0.24']) {
    for (const file of readdirSync(join(FIXTURES, dir)).filter((f) => f.endsWith('.ndjson'))) {
      lines.push(...readFileSync(join(FIXTURES, dir, file), 'utf8').split('\n').filter((l) => l.includes('"type": "map"') || l.includes('"type":"map"')));
    }
  }
  return lines;
}

/** Map records as name -> entries in key order. JSON.parse hands integer-like keys
 * back in ascending order, the scanner in bpftrace's printing order: the fold does not
 * depend on it. */
function canonical(maps: Array<{ name: string; table: MapTable }>): Array<{ name: string; entries: string[] }> {
  return maps.map(({ name, table }) => ({ name, entries: mapEntries(table).map((e) => `${e.key.join(',')}=${e.value}`).sort() }));
}

/** The JSON.parse path's map records, as the scanner names them. */
function jsonMaps(line: string): Array<{ name: string; table: MapTable }> | null {
  const result = parseJsonLine(line);
  if (!result.ok) return null;
  return result.records.filter((r): r is Extract<BpftraceRecord, { type: 'map' }> => r.type === 'map').map(({ name, table }) => ({ name, table }));
}

test('every captured map line with keys takes the scanner and equals JSON.parse', () => {
  const lines = capturedMapLines();
  assert.ok(lines.length >= 20, `only ${lines.length} map lines in the fixtures`);
  let scanned = 0;
  for (const line of lines) {
    const fast = scanMapLine(line);
    // scalar maps ({"@kswapd_wake": 0}) and numbers past 15 digits (0.24 prints big
    // u64 as strings) are JSON.parse's
    if (/"@\w+": ?-?\d/.test(line) || /\d{16}/.test(line)) {
      assert.equal(fast, null, line.slice(0, 120));
      continue;
    }
    assert.ok(fast, `scanner refused a probe line: ${line.slice(0, 120)}`);
    assert.deepEqual(canonical(fast), canonical(jsonMaps(line)!), line.slice(0, 120));
    scanned += 1;
  }
  assert.ok(scanned >= 10, `${scanned} lines scanned`);
});

test('0.24 spacing (no spaces in keys, compact separators) and several maps in one line', () => {
  const compact = '{"type":"map","data":{"@fault_region_sampled":{"3956,44892460":1,"3959,45006389":2},"@fault_user":{"3956":16}}}';
  assert.deepEqual(canonical(scanMapLine(compact)!), canonical(jsonMaps(compact)!));
  assert.deepEqual(scanMapLine(compact)?.map((m) => m.name), ['@fault_region_sampled', '@fault_user']);
  const spaced = ' {\t"type" : "map" , "data" : { "@x" : { "1 ,2" : 3 } } }\r';
  assert.equal(scanMapLine(spaced), null, 'a space inside a key is not ours: JSON.parse decides');
  const empty = '{"type": "map", "data": {"@x": {}}}';
  assert.deepEqual(scanMapLine(empty), [{ name: '@x', table: { keyWidth: 0, keys: [], values: [] } }]);
  assert.deepEqual(parseBpftraceLine(empty), parseJsonLine(empty));
});

test('lines the scanner leaves to JSON.parse', () => {
  const refused = [
    '{"type": "map", "data": {"@x": 5}}', // scalar
    '{"type": "map", "data": {"@x": {"1": 007}}}', // leading zero: not JSON
    '{"type": "map", "data": {"@x": {"1": 1.5}}}', // fraction
    '{"type": "map", "data": {"@x": {"1": 1e3}}}', // exponent
    '{"type": "map", "data": {"@x": {"1": "18446744073709551615"}}}', // 0.24 big u64 as a string
    '{"type": "map", "data": {"@x": {"1": 18446744073709551615}}}', // more than 15 digits
    '{"type": "map", "data": {"@x": {"1234567890123456": 1}}}', // key of 16 digits
    '{"type": "map", "data": {"@x": {"1": 1, "1,2": 1}}}', // two key widths
    '{"type": "map", "data": {"@x": {"1": 1}, "@x": {"2": 1}}}', // one name twice
    '{"type": "map", "data": {"@\\u0078": {"1": 1}}}', // escape in a name
    '{"type": "map", "data": {"@x": {"-1": 1}}}', // negative key
    '{"type": "map", "data": {"@x": {"1": 1}}} x', // trailing garbage
    '{"type": "map", "data": {"@x": {"1": 1}}', // cut
    '{"data": {"@x": {"1": 1}}, "type": "map"}', // another field order
    '{"type": "stats", "data": {"@s": {"1": {"count": 1, "average": 2, "total": 2}}}}',
  ];
  for (const line of refused) assert.equal(scanMapLine(line), null, line);
  // and the parser as a whole still reads the JSON ones right
  assert.deepEqual(parseBpftraceLine(refused[0]!), parseJsonLine(refused[0]!));
  assert.equal(parseBpftraceLine(refused[1]!).ok, false);
  assert.equal(parseBpftraceLine(refused[13]!).ok, true);
});

test('20000 seeded mutations: wherever the scanner accepts, JSON.parse agrees', () => {
  const r = mulberry32(1126);
  const base = capturedMapLines().filter((l) => l.length < 4000);
  const alphabet = '0123456789,:{}" -@x.e';
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    let line = base[Math.floor(r() * base.length)]!;
    for (let edits = 1 + Math.floor(r() * 3); edits > 0; edits--) {
      const at = Math.floor(r() * line.length);
      const op = r();
      const c = alphabet[Math.floor(r() * alphabet.length)]!;
      line = op < 0.4 ? line.slice(0, at) + c + line.slice(at + 1) : op < 0.7 ? line.slice(0, at) + c + line.slice(at) : line.slice(0, at) + line.slice(at + 1);
    }
    const fast = scanMapLine(line);
    if (!fast) continue;
    const slow = jsonMaps(line);
    assert.ok(slow, `scanner accepted what JSON.parse refuses: ${line.slice(0, 160)}`);
    // a key printed twice is two entries in the scanner, one in JSON.parse (documented)
    const duplicateKeys = fast.some((m) => m.table.values.length !== (slow.find((s) => s.name === m.name)?.table as { values: number[] }).values.length);
    if (!duplicateKeys) assert.deepEqual(canonical(fast), canonical(slow), line.slice(0, 160));
    accepted += 1;
  }
  assert.ok(accepted > 2000, `only ${accepted} mutated lines were scanned: the test compares too little`);
});
