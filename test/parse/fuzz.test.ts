// Malformed, truncated, huge and hostile bpftrace lines: thousands of generated cases
// (seeded, so a failure reproduces), in both JSON shapes (0.17 numbers, 0.24+ u64 as
// strings). The parser never throws, never returns a record it should not, and keeps
// whatever it accepts well-typed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBpftraceLine } from '../../src/parse/bpftrace-json.js';
import { ProbeBatcher } from '../../src/parse/probe-batch.js';
import { foldBatches } from '../../src/aggregate/probe-counters.js';
import { mulberry32 } from '../harness/seeded-random.js';


const VALID = [
  '{"type": "map", "data": {"@fault_user": {"123": 5, "456": 7}}}',
  '{"type": "map", "data": {"@fault_region_sampled": {"123,65000": "18446744073709551615"}}}',
  '{"type": "hist", "data": {"@reclaim_stall_hist_ns": {"9": [{"max": -1, "count": 1}, {"min": 0, "max": 0, "count": 2}]}}}',
  '{"type": "printf", "data": "oom_victim pid=1 anon_kb=2 file_kb=3 shmem_kb=4 uid=0 oom_score_adj=0 comm=x y\\n"}',
  '{"type": "lost_events", "count": 5, "data": {"events": 5}}',
  '{"type": "attached_probes", "data": {"probes": 3}}',
  '{"type": "map", "data": {"@kswapd_wake": 0}}',
];
const HOSTILE = [
  '', ' ', '\r', 'null', '[]', '{}', '"str"', '{"type": 5}', '{"type": "map"}', '{"type": "map", "data": null}',
  '{"type": "map", "data": {"@x": {"__proto__": 1}}}', '{"type": "map", "data": {"__proto__": {"1": 1}}}',
  '{"type": "map", "data": {"@x": {"1": {"a": 1}}}}', '{"type": "hist", "data": {"@h": [{"count": "x"}]}}',
  '{"type": "printf", "data": {"a": 1}}', '{"type": "lost_events", "data": "many"}', '\u0000\u0001', '\ufffd\ufffd{',
  `{"type": "map", "data": {"@x": {"${'9'.repeat(400)}": 1}}}`, `{"type": "printf", "data": "${'a'.repeat(1 << 20)}"}`,
];

function mutate(line: string, r: () => number): string {
  const ops = [
    () => line.slice(0, Math.floor(r() * line.length)), // truncated
    () => line.slice(Math.floor(r() * line.length)), // started mid-line
    () => { const i = Math.floor(r() * line.length); return line.slice(0, i) + String.fromCharCode(Math.floor(r() * 256)) + line.slice(i + 1); },
    () => line.replace(/\d+/, () => String(Math.floor(r() * 2 ** 64))),
    () => line.replace(/\d+/, () => `"${Math.floor(r() * 1e6)}"`),
    () => line.replace(/"@\w+"/, '"@unknown_map"'),
    () => line + line,
    () => line.replace(/,/g, ' ,'),
  ];
  return ops[Math.floor(r() * ops.length)]!();
}

test('4000 generated lines: never throws, every accepted record is well-formed', () => {
  const r = mulberry32(20261126);
  const batcher = new ProbeBatcher('fuzz');
  let accepted = 0;
  let rejected = 0;
  const cases = [...VALID, ...HOSTILE];
  for (let i = 0; i < 4000; i++) {
    const base = cases[Math.floor(r() * cases.length)]!;
    const line = r() < 0.8 ? mutate(base, r) : base;
    const result = parseBpftraceLine(line);
    if (!result.ok) {
      rejected += 1;
      assert.equal(typeof result.reason, 'string');
      continue;
    }
    accepted += 1;
    for (const rec of result.records) {
      if (rec.type === 'map') {
        const { keyWidth, keys, values } = rec.table;
        assert.equal(keys.length, keyWidth * values.length, line.slice(0, 120));
        assert.ok(keys.every(Number.isFinite) && values.every((v) => typeof v === 'number' && !Number.isNaN(v)), line.slice(0, 120));
      }
      if (rec.type === 'hist') for (const e of rec.entries) assert.ok(e.buckets.every((b) => Number.isFinite(b.count)));
      if (rec.type === 'lost') assert.ok(Number.isFinite(rec.events));
      batcher.push(rec);
    }
  }
  const totals = foldBatches([batcher.flush() ?? { group: 'fuzz', maps: new Map(), hists: new Map(), lines: [], lostEvents: 0, complete: false }]);
  assert.ok(accepted > 500 && rejected > 500, `accepted ${accepted}, rejected ${rejected}: both paths exercised`);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(totals.byPid), Map.prototype);
});
