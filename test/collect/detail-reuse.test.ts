// When a process's detail may be carried from the last read (src/collect/detail-reuse.ts):
// only while its stat line did not move, never on its refresh slot, never once the
// reading is a period old; and the refreshes of VMs started together spread over the period.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcessStat } from '../../src/model/host.js';
import { detailRead, MAPS_REFRESH_PERIODS, MAPS_WATCHED_REFRESH_PERIODS, mayKeepMaps, QUIET_REFRESH_PERIODS, ranSince, stampOf, statUnchanged } from '../../src/collect/detail-reuse.js';

const PERIOD = 10;
/** A refresh that is not quiet (KSM running, growth not watched) reads nothing this interval. */
const reused = (stamp: Parameters<typeof detailRead>[0], stat: ProcessStat, seq: number, period: number): boolean =>
  detailRead(stamp, stat, seq, period, false) === 'none';
const statOf = (over: Partial<ProcessStat> = {}): ProcessStat => ({
  pid: 1003, comm: 'qemu-system-x86', state: 'S', ppid: 1, minflt: 5000, majflt: 7, startTimeTicks: 4200, rssPages: 131072, cpuTicks: 900, ...over,
});

test('stampOf keeps the interval and the four fields that show a process changed', () => {
  assert.deepEqual(stampOf(statOf(), 42, 3), { seq: 42, slot: 3, minflt: 5000, majflt: 7, rssPages: 131072, cpuTicks: 900 });
});

test('statUnchanged: faults and RSS the same; state, ppid, comm and CPU time do not count', () => {
  const stamp = stampOf(statOf(), 0, 3);
  assert.equal(statUnchanged(stamp, statOf()), true);
  assert.equal(statUnchanged(stamp, statOf({ state: 'R', ppid: 2, comm: 'other' })), true);
  assert.equal(statUnchanged(stamp, statOf({ minflt: 5001 })), false);
});

test('an unchanged process reuses its detail, except on its refresh slot', () => {
  const stamp = stampOf(statOf(), 0, 3); // slot 3
  for (const seq of [1, 2, 4, 5, 6, 7, 8, 9]) assert.equal(reused(stamp, statOf(), seq, PERIOD), true, `seq ${seq}`);
  assert.equal(reused(stamp, statOf(), 3, PERIOD), false, 'its slot: read in full');
  // the slot comes back every period; read at 3, it reuses until 13
  const readAtSlot = stampOf(statOf(), 3, 3);
  assert.equal(reused(readAtSlot, statOf(), 12, PERIOD), true);
  assert.equal(reused(readAtSlot, statOf(), 13, PERIOD), false);
});

test('a reading a period old is read again even off its slot (intervals skipped)', () => {
  const stamp = stampOf(statOf(), 4, 3); // slot 3; 13 was skipped
  assert.equal(reused(stamp, statOf(), 12, PERIOD), true, '8 intervals old');
  assert.equal(reused(stamp, statOf(), 14, PERIOD), false, '10 intervals old, seq 14 is slot 4');
  assert.equal(reused(stamp, statOf(), 25, PERIOD), false, '21 intervals old');
});

test('any one of minflt, majflt, rssPages moving forces a read; CPU time alone only says it ran', () => {
  const stamp = stampOf(statOf(), 0, 3);
  const seq = 5; // off slot 3, half a period old: reused when nothing moved
  assert.equal(reused(stamp, statOf(), seq, PERIOD), true);
  for (const moved of [{ minflt: 5001 }, { majflt: 8 }, { rssPages: 131071 }]) {
    assert.equal(reused(stamp, statOf(moved), seq, PERIOD), false, JSON.stringify(moved));
  }
  // a running VM that takes no fault keeps its detail (its cgroup is read again: ranSince)
  assert.equal(reused(stamp, statOf({ cpuTicks: 901 }), seq, PERIOD), true);
  assert.equal(ranSince(stamp, statOf({ cpuTicks: 901 })), true);
  assert.equal(ranSince(stamp, statOf()), false);
  assert.equal(statUnchanged(stamp, statOf({ cpuTicks: 901 })), true);
});

test('a period of 1 or less never reuses', () => {
  const stamp = stampOf(statOf(), 0, 3);
  for (const period of [1, 0, -5]) {
    for (const seq of [0, 1, 2, 5]) assert.equal(reused(stamp, statOf(), seq, period), false, `period ${period} seq ${seq}`);
  }
  // and 2 does (slot 3 of a period of 2 is slot 1: even intervals reuse)
  assert.equal(reused(stamp, statOf(), 0, 2), true);
});

test('quiet refreshes read the cgroup alone on the slot, up to a backstop of periods; not quiet, every period in full', () => {
  const stamp = stampOf(statOf(), 3, 3); // read in full at its slot, 3
  const reads = (quiet: boolean, seqs: number[]): string[] => seqs.map((seq) => detailRead(stamp, statOf(), seq, PERIOD, quiet));
  assert.deepEqual(reads(true, [4, 12, 13, 14, 23, 33]), ['none', 'none', 'cgroup', 'none', 'cgroup', 'cgroup']);
  assert.deepEqual(reads(false, [4, 12, 13, 14, 23]), ['none', 'none', 'all', 'all', 'all']);
  // the backstop: QUIET_REFRESH_PERIODS after the full read, in full however quiet
  const backstop = 3 + QUIET_REFRESH_PERIODS * PERIOD;
  assert.deepEqual(reads(true, [backstop - PERIOD, backstop - 1, backstop, backstop + 1]), ['cgroup', 'none', 'all', 'all']);
  // off the slot and past a period: nothing read while quiet (the slot comes back)
  assert.equal(detailRead(stamp, statOf(), 17, PERIOD, true), 'none');
  // quiet or not, a fault, an RSS change or no stamp is a full read; a period of 1 too
  for (const quiet of [true, false]) {
    assert.equal(detailRead(stamp, statOf({ minflt: 5001 }), 13, PERIOD, quiet), 'all');
    assert.equal(detailRead(stamp, statOf({ rssPages: 1 }), 5, PERIOD, quiet), 'all');
    assert.equal(detailRead(undefined, statOf(), 5, PERIOD, quiet), 'all');
    assert.equal(detailRead(stamp, statOf(), 5, 1, quiet), 'all');
  }
});

test('a process never read (no stamp) is read', () => {
  for (const seq of [0, 1, 5]) assert.equal(reused(undefined, statOf(), seq, PERIOD), false);
});

test('100 unchanged processes started together, pids a stride of 10 apart: each read once a period, 10 reads every interval', () => {
  // slots are given in turn, as the collector does: a pid modulo the period would put
  // all of these in slot 0
  const stats = Array.from({ length: 100 }, (_, i) => statOf({ pid: 1000 + 10 * i }));
  const slotOf = new Map(stats.map((stat, i) => [stat.pid, i % PERIOD]));
  const stamps = new Map<number, ReturnType<typeof stampOf>>();
  const readsByPid = new Map<number, number[]>();
  const readsPerInterval: number[] = [];
  const periods = 3;
  // interval 0 reads everything (nothing known yet); then three full periods
  for (let seq = 0; seq <= periods * PERIOD; seq++) {
    let reads = 0;
    for (const stat of stats) {
      if (reused(stamps.get(stat.pid), stat, seq, PERIOD)) continue;
      stamps.set(stat.pid, stampOf(stat, seq, slotOf.get(stat.pid)!));
      readsByPid.set(stat.pid, [...(readsByPid.get(stat.pid) ?? []), seq]);
      reads++;
    }
    readsPerInterval.push(reads);
  }
  assert.equal(readsPerInterval[0], 100, 'first interval: all read');
  assert.deepEqual(readsPerInterval.slice(1), Array(periods * PERIOD).fill(10));
  for (const stat of stats) {
    const seqs = readsByPid.get(stat.pid)!.slice(1);
    assert.equal(seqs.length, periods, `pid ${stat.pid}: once per period`);
    // one read in each period 1..10, 11..20, 21..30, always on the pid's slot
    seqs.forEach((seq, p) => {
      assert.ok(seq > p * PERIOD && seq <= (p + 1) * PERIOD, `pid ${stat.pid} read at ${seq}`);
      assert.equal(seq % PERIOD, slotOf.get(stat.pid));
    });
  }
});

test('maps are kept a backstop of periods, longer while the growth probe watched every mapping change since they were read, and none since a change it saw', () => {
  const short = MAPS_REFRESH_PERIODS * PERIOD;
  const long = MAPS_WATCHED_REFRESH_PERIODS * PERIOD;
  assert.ok(long > short);
  // not watched: the short backstop
  const unwatched = { mapsSeq: 100, changeSeq: undefined, watchedSince: null };
  assert.equal(mayKeepMaps(unwatched, 100 + short - 1, PERIOD), true);
  assert.equal(mayKeepMaps(unwatched, 100 + short, PERIOD), false);
  // watched since before the reading, no change seen: the long one
  const watched = { mapsSeq: 100, changeSeq: undefined, watchedSince: 5 };
  assert.equal(mayKeepMaps(watched, 100 + short, PERIOD), true);
  assert.equal(mayKeepMaps(watched, 100 + long - 1, PERIOD), true);
  assert.equal(mayKeepMaps(watched, 100 + long, PERIOD), false);
  // a change in the reading's own batch was before the read: still in the reading
  assert.equal(mayKeepMaps({ ...watched, changeSeq: 100 }, 100 + short, PERIOD), true);
  assert.equal(mayKeepMaps({ ...watched, changeSeq: 40 }, 100 + short, PERIOD), true);
  // a change after it: read again at the next refresh
  assert.equal(mayKeepMaps({ ...watched, changeSeq: 101 }, 102, PERIOD), false);
  // not watched, a change seen or not: the short backstop
  assert.equal(mayKeepMaps({ ...unwatched, changeSeq: 101 }, 102, PERIOD), true);
  // watched only since after the reading: what happened in between is not known
  assert.equal(mayKeepMaps({ ...watched, watchedSince: 101 }, 100 + short, PERIOD), false);
  assert.equal(mayKeepMaps({ ...watched, watchedSince: 100 }, 100 + short, PERIOD), true);
});
