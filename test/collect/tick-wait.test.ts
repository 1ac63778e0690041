// The live session's wait for the probes' batches at an interval boundary: emit as
// soon as every attached group delivered, wait for stragglers until the deadline,
// never wait for a group that is down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundaryIndexAt, decideTick, deadlineNs, firstBoundaryIndex, type TickWaitInput } from '../../src/collect/tick-wait.js';

const MS = 1e6;
const B = 5000; // boundary 5000 of a 1000 ms interval: 5000 s of CLOCK_MONOTONIC
const at = (msAfterBoundary: number): number => (B * 1000 + msAfterBoundary) * MS;
const input = (over: Partial<TickWaitInput>): TickWaitInput => ({
  boundaryIndex: B, intervalMs: 1000, attachedGroups: ['faults', 'kvm'], deliveredIndex: new Map(), nowNs: at(3), ...over,
});

test('before the boundary: wait until it', () => {
  const all = new Map([['faults', B], ['kvm', B]]);
  assert.deepEqual(decideTick(input({ nowNs: at(-400), deliveredIndex: all })), { emit: false, untilNs: at(0) });
});

test('every attached group delivered this boundary: emit now, nobody late', () => {
  const delivered = new Map([['faults', B], ['kvm', B]]);
  assert.deepEqual(decideTick(input({ deliveredIndex: delivered })), { emit: true, lateGroups: [] });
});

test('a group still on the previous boundary: wait until the deadline, then emit without it', () => {
  const delivered = new Map([['faults', B], ['kvm', B - 1]]);
  assert.deepEqual(decideTick(input({ deliveredIndex: delivered })), { emit: false, untilNs: at(250) });
  assert.deepEqual(decideTick(input({ deliveredIndex: delivered, nowNs: at(249) })), { emit: false, untilNs: at(250) });
  assert.deepEqual(decideTick(input({ deliveredIndex: delivered, nowNs: at(250) })), { emit: true, lateGroups: ['kvm'] });
});

test('a group that never delivered is late; a group that is down is not waited for', () => {
  assert.deepEqual(decideTick(input({ deliveredIndex: new Map([['faults', B]]), nowNs: at(300) })), { emit: true, lateGroups: ['kvm'] });
  assert.deepEqual(decideTick(input({ attachedGroups: ['faults'], deliveredIndex: new Map([['faults', B]]) })), { emit: true, lateGroups: [] });
  // nothing attached at all: a snapshot at the boundary still goes out (host data, status)
  assert.deepEqual(decideTick(input({ attachedGroups: [], nowNs: at(0) })), { emit: true, lateGroups: [] });
});

test('the deadline is half an interval, at most 250 ms', () => {
  assert.equal(deadlineNs(10, 1000), (10_000 + 250) * MS);
  assert.equal(deadlineNs(10, 200), (2000 + 100) * MS);
  assert.equal(deadlineNs(10, 5000), (50_000 + 250) * MS);
  // a 200 ms interval: a group late by 100 ms is left for the next snapshot
  const short = input({ boundaryIndex: 100, intervalMs: 200, deliveredIndex: new Map([['faults', 100]]), nowNs: (20_000 + 100) * MS });
  assert.deepEqual(decideTick(short), { emit: true, lateGroups: ['kvm'] });
});

test('boundaries: the one at or before now, and the first one at least half an interval after start', () => {
  assert.equal(boundaryIndexAt(at(0), 1000), B);
  assert.equal(boundaryIndexAt(at(-1), 1000), B - 1);
  assert.equal(firstBoundaryIndex(at(-600), 1000), B); // 0.6 interval later
  assert.equal(firstBoundaryIndex(at(-400), 1000), B + 1); // 1.4 intervals later
  assert.equal(firstBoundaryIndex(at(-500), 1000), B + 1);
});
