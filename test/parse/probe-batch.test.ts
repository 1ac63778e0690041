import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeBatcher } from '../../src/parse/probe-batch.js';
import { parseBpftraceLine } from '../../src/parse/bpftrace-json.js';

function feed(batcher: ProbeBatcher, lines: string[]) {
  const out = [];
  for (const line of lines) {
    const r = parseBpftraceLine(line);
    assert.ok(r.ok);
    for (const rec of r.records) {
      const o = batcher.push(rec);
      if (o) out.push(o);
    }
  }
  return out;
}

test('ready, batches ended by ticks, events inside a batch, the exit dump', () => {
  const b = new ProbeBatcher('faults');
  const out = feed(b, [
    '{"type": "attached_probes", "data": {"probes": 4}}',
    '{"type": "printf", "data": "faultline_ready faults\\n"}',
    '{"type": "map", "data": {"@fault_user": {"10": 3}}}',
    '{"type": "printf", "data": "oom_victim pid=5 anon_kb=1 file_kb=2 shmem_kb=3 uid=0 oom_score_adj=0 comm=a b\\n"}',
    '{"type": "lost_events", "data": {"events": 7}}',
    '{"type": "printf", "data": "faultline_tick faults\\n"}',
    '{"type": "map", "data": {"@fault_user": {"10": 1}}}',
    '',
    '',
  ]);
  assert.equal(out.length, 2);
  assert.equal(out[0]!.kind, 'ready');
  assert.equal(out[1]!.kind, 'batch');
  if (out[1]!.kind !== 'batch') return;
  const batch = out[1]!.batch;
  assert.equal(batch.complete, true);
  assert.deepEqual(batch.maps.get('@fault_user'), { keyWidth: 1, keys: [10], values: [3] });
  assert.deepEqual(batch.lines, ['oom_victim pid=5 anon_kb=1 file_kb=2 shmem_kb=3 uid=0 oom_score_adj=0 comm=a b']);
  assert.equal(batch.lostEvents, 7);
  const last = b.flush();
  assert.ok(last);
  assert.equal(last.complete, false);
  assert.deepEqual(last.maps.get('@fault_user'), { keyWidth: 1, keys: [10], values: [1] });
  assert.equal(b.flush(), null);
});
