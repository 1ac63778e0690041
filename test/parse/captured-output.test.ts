// The parser on REAL bpftrace 0.17.0 output of our own probes (captured on Debian 12,
// test/fixtures/bpftrace/0.17/) and on the SYNTHETIC bpftrace >= 0.24 shapes
// (test/fixtures/bpftrace/synthetic-0.24/): every line parses, batches come out per
// tick, and the counters fold as the probes' MAPS sections say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseBpftraceLine } from '../../src/parse/bpftrace-json.js';
import { ProbeBatcher, type ProbeBatch } from '../../src/parse/probe-batch.js';
import { foldBatches } from '../../src/aggregate/probe-counters.js';

function replay(path: string, group: string): { batches: ProbeBatch[]; ready: boolean; bad: string[] } {
  const batcher = new ProbeBatcher(group);
  const batches: ProbeBatch[] = [];
  const bad: string[] = [];
  let ready = false;
  for (const line of readFileSync(new URL(`../fixtures/bpftrace/${path}`, import.meta.url), 'utf8').split('\n')) {
    const r = parseBpftraceLine(line);
    if (!r.ok) {
      bad.push(`${r.reason}: ${line.slice(0, 80)}`);
      continue;
    }
    for (const rec of r.records) {
      const out = batcher.push(rec);
      if (out?.kind === 'ready') ready = true;
      if (out?.kind === 'batch') batches.push(out.batch);
    }
  }
  const last = batcher.flush();
  if (last) batches.push(last);
  return { batches, ready, bad };
}

for (const group of ['faults', 'kvm', 'reclaim', 'growth']) {
  test(`0.17 capture of ${group}.bt: every line parses, ready then whole intervals`, () => {
    const { batches, ready, bad } = replay(`0.17/${group}.ndjson`, group);
    assert.deepEqual(bad, []);
    assert.ok(ready);
    assert.ok(batches.filter((b) => b.complete).length >= 2, 'at least two whole intervals');
  });
}

test('0.17 faults: per-pid counts and sampled regions fold into counters', () => {
  const totals = foldBatches(replay('0.17/faults.ndjson', 'faults').batches);
  const busiest = [...totals.byPid].sort((a, b) => b[1].faultUser - a[1].faultUser)[0]!;
  assert.ok(busiest[1].faultUser > 1000, `busiest pid had ${busiest[1].faultUser} faults`);
  assert.ok(busiest[1].regionSamples.size > 0, 'the busiest pid has sampled regions');
  const sampled = [...busiest[1].regionSamples.values()].reduce((a, b) => a + b, 0);
  // 1 in 16 pages by page number: the sample is near 1/16 of the exact count
  assert.ok(sampled * 16 > busiest[1].faultUser * 0.5 && sampled * 16 < busiest[1].faultUser * 2, `sampled ${sampled} of ${busiest[1].faultUser}`);
});

test('0.17 reclaim: memcg stalls, their histogram, stall events and the OOM victim', () => {
  const totals = foldBatches(replay('0.17/reclaim.ndjson', 'reclaim').batches);
  const stalled = [...totals.byPid.values()].filter((c) => c.reclaimMemcgCount > 0);
  assert.ok(stalled.length > 0);
  for (const c of stalled) {
    assert.ok(c.reclaimMemcgNs > 0 && c.reclaimMemcgMaxNs > 0 && c.reclaimMemcgMaxNs <= c.reclaimMemcgNs);
    const histCount = [...c.stallHistogram.values()].reduce((a, b) => a + b, 0);
    assert.equal(histCount, c.reclaimMemcgCount + c.reclaimDirectCount, 'histogram holds every stall');
  }
  const oom = totals.events.filter((e) => e.type === 'oom_victim');
  assert.equal(oom.length, 1);
  assert.ok(oom[0]!.type === 'oom_victim' && oom[0]!.anonKb > 0);
  assert.ok(totals.events.some((e) => e.type === 'reclaim_stall' && e.kind === 'memcg'));
  assert.equal(totals.unknownLines, 0);
});

test('0.17 growth: mmap/munmap bytes per pid', () => {
  const totals = foldBatches(replay('0.17/growth.ndjson', 'growth').batches);
  assert.ok([...totals.byPid.values()].some((c) => c.mmapBytes > 0 && c.munmapBytes > 0));
});

test('synthetic 0.24 shapes parse to the same kind of counters', () => {
  const { batches, ready, bad } = replay('synthetic-0.24/faults.ndjson', 'faults');
  assert.deepEqual(bad, []);
  assert.ok(ready);
  const totals = foldBatches(batches);
  assert.ok([...totals.byPid.values()].some((c) => c.faultUser > 1000 && c.regionSamples.size > 0));
  assert.ok(batches.some((b) => b.lostEvents > 0), 'lost_events with a top-level count is read');
});
