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
