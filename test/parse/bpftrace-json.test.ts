import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBpftraceLine, parseKey, toNumber } from '../../src/parse/bpftrace-json.js';
import { mapEntries } from '../../src/parse/map-table.js';

/** The line's records, map tables shown as one {key, value} per entry. */
const records = (line: string) => {
  const r = parseBpftraceLine(line);
  assert.ok(r.ok, `expected ${line} to parse`);
  return r.records.map((rec) => (rec.type === 'map' ? { type: rec.type, name: rec.name, entries: mapEntries(rec.table) } : rec));
};

test('0.17 tuple-key map, scalar map and printf (lines captured from bpftrace 0.17.0)', () => {
  assert.deepEqual(records('{"type": "map", "data": {"@u": {"2535": 1}}}'), [
    { type: 'map', name: '@u', entries: [{ key: [2535], value: 1 }] },
  ]);
  assert.deepEqual(records('{"type": "map", "data": {"@r": {"2535,16383": 7}}}'), [
    { type: 'map', name: '@r', entries: [{ key: [2535, 16383], value: 7 }] },
  ]);
  assert.deepEqual(records('{"type": "map", "data": {"@x": -20}}'), [
    { type: 'map', name: '@x', entries: [{ key: [], value: -20 }] },
  ]);
  assert.deepEqual(records('{"type": "printf", "data": "tick 500\\n"}'), [{ type: 'printf', text: 'tick 500\n' }]);
  assert.deepEqual(records('{"type": "attached_probes", "data": {"probes": 6}}'), [{ type: 'attached', probes: 6 }]);
});

test('hist: keyed, scalar, and the negative bucket without min', () => {
  assert.deepEqual(records('{"type": "hist", "data": {"@h": {"0": [{"min": 65536, "max": 131071, "count": 4}]}}}'), [
    { type: 'hist', name: '@h', entries: [{ key: [0], buckets: [{ min: 65536, max: 131071, count: 4 }] }] },
  ]);
  const [h] = records('{"type": "hist", "data": {"@h": [{"max": -1, "count": 1}, {"min": 0, "max": 0, "count": 2}]}}');
  assert.equal(h?.type, 'hist');
  if (h?.type !== 'hist') return;
  assert.equal(h.entries[0]!.buckets[0]!.min, Number.NEGATIVE_INFINITY);
  assert.equal(h.entries[0]!.buckets[1]!.count, 2);
});

test('0.24+ shapes: u64 as strings, lost_events with top-level count, stats objects', () => {
  assert.deepEqual(records('{"type": "map", "data": {"@b": {"12,3": "18446744073709551615"}}}'), [
    { type: 'map', name: '@b', entries: [{ key: [12, 3], value: 18446744073709551615 }] },
  ]);
  assert.deepEqual(records('{"type": "lost_events", "count": 12, "data": {"events": 12}}'), [{ type: 'lost', events: 12 }]);
  assert.deepEqual(records('{"type": "lost_events", "data": {"events": 1172}}'), [{ type: 'lost', events: 1172 }]);
  assert.deepEqual(records('{"type": "stats", "data": {"@s": {"count": 2, "average": 5, "total": 10}}}'), [
    { type: 'map', name: '@s', entries: [{ key: [], value: 10 }] },
  ]);
  assert.deepEqual(records('{"type": "stats", "data": {"@a": 3}}'), [{ type: 'map', name: '@a', entries: [{ key: [], value: 3 }] }]);
});

test('blank lines are skipped; bad lines are reported, never thrown', () => {
  assert.deepEqual(records(''), []);
  assert.deepEqual(records('   \r'), []);
  for (const bad of ['{"type": "map", "data"', 'not json', '{"data": 1}', '{"type": "map", "data": {"@k": {"CPU 0/KVM,1": 5}}}', '[1,2]']) {
    const r = parseBpftraceLine(bad);
    assert.equal(r.ok, false, bad);
  }
  assert.deepEqual(records('{"type": "time", "data": "12:00:00\\n"}'), [{ type: 'other', kind: 'time' }]);
});

test('keys and numbers', () => {
  assert.deepEqual(parseKey('1,2,3'), [1, 2, 3]);
  assert.deepEqual(parseKey(''), []);
  assert.equal(parseKey('bpftrace,2'), null);
  assert.equal(toNumber('42'), 42);
  assert.ok(Number.isNaN(toNumber('4x2')));
  assert.ok(Number.isNaN(toNumber(null)));
});
