import { test } from 'node:test';
import assert from 'node:assert/strict';
import { carriedGuestRam, choosePageWalks, PAGE_MOVER_COUNTERS, pagesMovedBetween, unchangedWalkDue, walkCostMs, type WalkedValues } from '../../src/collect/page-walks.js';

const MiB = 2 ** 20;
const walked = (seq: number, guestRam = 100 * MiB, anonShmem = 150 * MiB): WalkedValues => ({ seq, guestRamResidentBytes: guestRam, guestRamHugeBytes: 0, anonHugeBytes: 0, anonShmemBytes: anonShmem });

const small = (id: string) => ({ id, residentBytes: 64 * MiB });

test('page walks: never-walked first, then the longest ago, within the count', () => {
  const last = new Map([['a', walked(5)], ['b', walked(2)], ['c', walked(9)]]);
  const roomy = (maxWalks: number) => ({ maxWalks, maxCostMs: 1000, unchangedEveryIntervals: 60 });
  assert.deepEqual([...choosePageWalks(['a', 'b', 'c', 'new'].map(small), last, roomy(2), 10)], ['new', 'b']);
  assert.deepEqual([...choosePageWalks(['a', 'b', 'c'].map(small), last, roomy(8), 10)].sort(), ['a', 'b', 'c']);
  assert.equal(choosePageWalks(['a', 'b'].map(small), last, roomy(0), 10).size, 0);
});

test('page walks: within the estimated cost; one walk always, so a huge VM gets its turn', () => {
  const GiB = 1024 * MiB;
  assert.ok(Math.abs(walkCostMs(512 * MiB) - 6.7) < 0.1, 'a 512 MiB walk is ~6.7 ms (measured 6.7-7.4)');
  const vms = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((id) => ({ id, residentBytes: 512 * MiB }));
  // 8 VMs of 512 MiB, 50 ms: 7 fit (46.6 ms), the 8th would make 53
  assert.equal(choosePageWalks(vms, new Map(), { maxWalks: 8, maxCostMs: 50, unchangedEveryIntervals: 60 }, 10).size, 7);
  const huge = [{ id: 'big', residentBytes: 16 * GiB }, ...vms];
  // 16 GiB costs ~213 ms: alone over budget, walked alone, never with others
  assert.deepEqual([...choosePageWalks(huge, new Map(), { maxWalks: 8, maxCostMs: 50, unchangedEveryIntervals: 60 }, 10)], ['big']);
  // once walked it goes to the back, and the small ones get their turn
  const last = new Map([['big', walked(1)]]);
  assert.ok(!choosePageWalks(huge, last, { maxWalks: 8, maxCostMs: 50, unchangedEveryIntervals: 60 }, 10).has('big'));
});

test('page walks: a process whose stat did not move is walked only when its last walk is old', () => {
  const last = new Map([['idle', walked(5)], ['busy', walked(5)]]);
  const budget = { maxWalks: 8, maxCostMs: 1000, unchangedEveryIntervals: 60 };
  const candidates = [{ ...small('idle'), statUnchanged: true }, small('busy'), { ...small('fresh'), statUnchanged: true }];
  assert.deepEqual([...choosePageWalks(candidates, last, budget, 64)].sort(), ['busy', 'fresh'], 'idle walked 59 intervals ago: not yet; never walked: at once');
  assert.deepEqual([...choosePageWalks(candidates, last, budget, 65)].sort(), ['busy', 'fresh', 'idle'], '60 intervals on: walked again');
});

test('page walks: while the kernel moved no page since its last walk, an unchanged process waits the longer period', () => {
  const budget = (pagesMovedSeq?: number) => ({ maxWalks: 8, maxCostMs: 1000, unchangedEveryIntervals: 60, stillEveryIntervals: 360, pagesMovedSeq });
  // walked at 5: moved before the walk (3) is in it; moved at 5 or after may not be
  assert.equal(unchangedWalkDue(5, 65, budget(3)), false, 'still since the walk: 60 on is not enough');
  assert.equal(unchangedWalkDue(5, 364, budget(3)), false);
  assert.equal(unchangedWalkDue(5, 365, budget(3)), true, '360 on: the backstop');
  assert.equal(unchangedWalkDue(5, 65, budget(5)), true, 'moved in the walk\'s own interval: the shorter period');
  assert.equal(unchangedWalkDue(5, 64, budget(40)), false, 'moved, but not 60 on yet');
  assert.equal(unchangedWalkDue(5, 65, budget(40)), true);
  assert.equal(unchangedWalkDue(5, 65, budget()), true, 'unknown (no vmstat): as if moved');
  assert.equal(unchangedWalkDue(undefined, 0, budget(-1)), true, 'never walked: at once');
  // through choosePageWalks: the still host walks the idle process only at the backstop
  const last = new Map([['idle', walked(5)]]);
  const candidates = [{ ...small('idle'), statUnchanged: true }, small('busy')];
  assert.deepEqual([...choosePageWalks(candidates, last, budget(-1), 65)], ['busy']);
  assert.deepEqual([...choosePageWalks(candidates, last, budget(6), 65)].sort(), ['busy', 'idle']);
  assert.deepEqual([...choosePageWalks(candidates, last, budget(-1), 365)].sort(), ['busy', 'idle']);
  // with no longer period given, the shorter one stands (as before there was one)
  assert.equal(unchangedWalkDue(5, 65, { maxWalks: 8, maxCostMs: 1000, unchangedEveryIntervals: 60, pagesMovedSeq: -1 }), true);
});

test('pagesMovedBetween: any mover counter, not the others; an empty read is unknown', () => {
  const vmstat = { pgfault: 100, pgmigrate_success: 10, thp_collapse_alloc: 2, thp_split_pmd: 7, nr_free_pages: 5 };
  assert.equal(pagesMovedBetween(vmstat, { ...vmstat }), false);
  assert.equal(pagesMovedBetween(vmstat, { ...vmstat, pgfault: 101, nr_free_pages: 4 }), false, 'faults are the process\'s own (its stat moves)');
  for (const counter of PAGE_MOVER_COUNTERS) assert.equal(pagesMovedBetween(vmstat, { ...vmstat, [counter]: (vmstat as Record<string, number>)[counter] === undefined ? 1 : 99 }), true, counter);
  assert.equal(pagesMovedBetween({}, vmstat), true);
  assert.equal(pagesMovedBetween(vmstat, {}), true);
});

test('guest RAM between walks follows anon + shmem RSS, within [0, VM size]', () => {
  assert.equal(carriedGuestRam(walked(1), 180 * MiB, 512 * MiB), 130 * MiB);
  assert.equal(carriedGuestRam(walked(1), 10 * MiB, 512 * MiB), 0);
  assert.equal(carriedGuestRam(walked(1), 900 * MiB, 512 * MiB), 512 * MiB);
});
