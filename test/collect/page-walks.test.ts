import { test } from 'node:test';
import assert from 'node:assert/strict';
import { carriedGuestRam, choosePageWalks, type WalkedValues } from '../../src/collect/page-walks.js';

const MiB = 2 ** 20;
const walked = (seq: number, guestRam = 100 * MiB, anonShmem = 150 * MiB): WalkedValues => ({ seq, guestRamResidentBytes: guestRam, anonHugeBytes: 0, anonShmemBytes: anonShmem });

test('page walks: never-walked first, then the longest ago, within the budget', () => {
  const last = new Map([['a', walked(5)], ['b', walked(2)], ['c', walked(9)]]);
  assert.deepEqual([...choosePageWalks(['a', 'b', 'c', 'new'], last, 2)], ['new', 'b']);
  assert.deepEqual([...choosePageWalks(['a', 'b', 'c'], last, 8)].sort(), ['a', 'b', 'c']);
  assert.equal(choosePageWalks(['a', 'b'], last, 0).size, 0);
});

test('guest RAM between walks follows anon + shmem RSS, within [0, VM size]', () => {
  assert.equal(carriedGuestRam(walked(1), 180 * MiB, 512 * MiB), 130 * MiB);
  assert.equal(carriedGuestRam(walked(1), 10 * MiB, 512 * MiB), 0);
  assert.equal(carriedGuestRam(walked(1), 900 * MiB, 512 * MiB), 512 * MiB);
});
