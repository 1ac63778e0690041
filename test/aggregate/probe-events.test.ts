import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProbeEventLine } from '../../src/aggregate/probe-events.js';

test('oom_victim with a comm holding spaces and = signs', () => {
  assert.deepEqual(parseProbeEventLine('oom_victim pid=4242 anon_kb=204800 file_kb=12 shmem_kb=0 uid=0 oom_score_adj=-17 comm=CPU 0/KVM x=1'), {
    type: 'oom_victim', pid: 4242, anonKb: 204800, fileKb: 12, shmemKb: 0, uid: 0, oomScoreAdj: -17, comm: 'CPU 0/KVM x=1',
  });
});

test('reclaim_stall direct and memcg; malformed lines are null', () => {
  assert.deepEqual(parseProbeEventLine('reclaim_stall pid=1 tid=2 kind=memcg ns=15000000 comm=hog'), {
    type: 'reclaim_stall', pid: 1, tid: 2, kind: 'memcg', ns: 15000000, comm: 'hog',
  });
  assert.equal(parseProbeEventLine('reclaim_stall pid=1 tid=2 kind=other ns=5 comm=x'), null);
  assert.equal(parseProbeEventLine('reclaim_stall pid=x tid=2 kind=direct ns=5 comm=x'), null);
  assert.equal(parseProbeEventLine('something else'), null);
});

test('oom_victim from a kernel whose mark_victim has the pid only: RSS unknown (-1), not 0', async () => {
  assert.deepEqual(parseProbeEventLine('oom_victim pid=77'), {
    type: 'oom_victim', pid: 77, anonKb: -1, fileKb: -1, shmemKb: -1, uid: -1, oomScoreAdj: -1, comm: '',
  });
  assert.equal(parseProbeEventLine('oom_victim pid=77 anon_kb=x file_kb=1 shmem_kb=0 uid=0 oom_score_adj=0 comm=a'), null);
  const { probeEvents } = await import('../../src/aggregate/events.js');
  const totals = { byPid: new Map(), kswapdWakes: 0, kswapdRunNs: 0, lruPagesReclaimed: 0, mmuNotifier: [], lostByGroup: new Map(), unknownLines: 0, badValues: 0,
    events: [parseProbeEventLine('oom_victim pid=77')!] };
  const [event] = probeEvents(totals, 1000, new Map([[77, { id: '77@5', comm: 'hog' }]]));
  assert.equal(event!.comm, 'hog');
  assert.equal(event!.anonRssBytes, 0);
  assert.match(event!.message, /OOM killer chose hog \(pid 77\); its RSS at the kill is not reported by this kernel/);
});
