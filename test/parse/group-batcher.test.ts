// One bpftrace's output for several groups, back into each group's batches
// (src/parse/group-batcher.ts). First on the REAL captures of each group's program
// (test/fixtures/bpftrace/VERSION/GROUP.ndjson: what one group's program prints is what
// it prints inside the one program), replayed through the routes of the four groups
// combined: everything a group printed lands in its own batches. Then SYNTHETIC records
// for interleaving and lost events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseBpftraceLine, type BpftraceRecord } from '../../src/parse/bpftrace-json.js';
import { GroupBatcher } from '../../src/parse/group-batcher.js';
import type { ProbeBatch } from '../../src/parse/probe-batch.js';
import { PROBE_GROUPS } from '../../src/probe/probe-groups.js';
import { assembleGroup } from '../../src/probe/assemble-group.js';
import { combinePrograms } from '../../src/probe/combine-programs.js';
import { foldBatches } from '../../src/aggregate/probe-counters.js';
import { probeEvents } from '../../src/aggregate/events.js';

const TRACEFS_6_18 = fileURLToPath(new URL('../fixtures/tracefs/real-6.18/', import.meta.url));
const routes = async () => combinePrograms(await Promise.all(PROBE_GROUPS.map((g) => assembleGroup(g, TRACEFS_6_18)))).routes;

function collect(batcher: (h: ConstructorParameters<typeof GroupBatcher>[1]) => GroupBatcher) {
  const batches: ProbeBatch[] = [];
  const ready: string[] = [];
  const events: string[] = [];
  const b = batcher({ onReady: (g) => ready.push(g), onBatch: (x) => batches.push(x), onEventLine: (l) => events.push(l) });
  return { b, batches, ready, events };
}

for (const version of ['0.17', '0.23', '0.27']) {
  test(`${version}: each group's real output, routed as one program's, stays its group's`, async () => {
    const r = await routes();
    for (const group of PROBE_GROUPS) {
      const { b, batches, ready } = collect((h) => new GroupBatcher(r, h));
      for (const line of readFileSync(new URL(`../fixtures/bpftrace/${version}/${group}.ndjson`, import.meta.url), 'utf8').split('\n')) {
        const parsed = parseBpftraceLine(line);
        assert.ok(parsed.ok, line);
        for (const record of parsed.records) b.push(record);
      }
      b.flush();
      assert.deepEqual(ready, [group]);
      assert.ok(batches.filter((x) => x.complete).length >= 2, `${group}: whole intervals`);
      // maps printed under their own names (the captures predate @GROUP_interval: the
      // clock is cleared in END and never printed)
      for (const batch of batches) assert.equal(batch.group, group, `${group}: a batch went to ${batch.group}: ${[...batch.maps.keys()]}`);
    }
  });
}

const map = (name: string, pid: number, value: number): BpftraceRecord => ({ type: 'map', name, table: { keyWidth: 1, keys: [pid], values: [value] } });
const line = (text: string): BpftraceRecord => ({ type: 'printf', text: `${text}\n` });

test('interleaved groups: each tick closes its own group\'s batch; events go by name', async () => {
  const r = await routes();
  const c = collect((h) => new GroupBatcher(r, h));
  for (const g of PROBE_GROUPS) c.b.push(line(`faultline_ready ${g}`));
  assert.deepEqual(c.ready, [...PROBE_GROUPS]);
  c.b.push(map('@fault_user__1', 10, 16));
  c.b.push(map('@mmap_bytes__1', 10, 4096));
  c.b.push(line('reclaim_stall pid=10 tid=11 kind=direct ns=20000000 comm=qemu-system-x86'));
  c.b.push(line('faultline_tick growth 7 7000000000'));
  c.b.push(map('@fault_region_sampled__1', 10, 1));
  c.b.push(line('process_exit pid=12 code=0 min_flt=5 maj_flt=0'));
  c.b.push(line('faultline_tick faults 7 7000100000'));
  c.b.push(line('faultline_tick reclaim 7 7000200000'));
  assert.deepEqual(c.batches.map((x) => [x.group, x.intervalIndex, [...x.maps.keys()], x.lines]), [
    ['growth', 7, ['@mmap_bytes'], []],
    ['faults', 7, ['@fault_user', '@fault_region_sampled'], ['process_exit pid=12 code=0 min_flt=5 maj_flt=0']],
    ['reclaim', 7, [], ['reclaim_stall pid=10 tid=11 kind=direct ns=20000000 comm=qemu-system-x86']],
  ]);
  assert.equal(c.events.length, 2, 'event lines reported as they come');
});

test('lost events of the shared bpftrace: counted once, naming every group of it', async () => {
  const r = await routes();
  const c = collect((h) => new GroupBatcher(r, h));
  c.b.push({ type: 'lost', events: 5 });
  c.b.push(line('faultline_tick kvm 3 3000000000'));
  c.b.push(line('faultline_tick faults 3 3000000000'));
  const faults = c.batches.find((x) => x.group === 'faults')!;
  assert.equal(faults.lostEvents, 5);
  assert.deepEqual(faults.lostEventsOf, [...PROBE_GROUPS]);
  assert.equal(c.batches.find((x) => x.group === 'kvm')!.lostEvents, 0);
  const totals = foldBatches(c.batches);
  assert.deepEqual([...totals.lostByGroup], [['faults,kvm,reclaim,growth', 5]]);
  const [event] = probeEvents(totals, 0, new Map());
  assert.equal(event!.type, 'lost-events');
  assert.equal(event!.count, 5);
  assert.match(event!.message, /dropped 5 events of probe groups faults, kvm, reclaim, growth \(they share one bpftrace/);
});
