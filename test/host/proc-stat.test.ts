import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseProcStat, readProcessStat, readProcessStats } from '../../src/host/proc-stat.js';
import { FIXTURES_DIR } from '../fixtures/proc/synthetic-cmdlines.js';

const tail = '1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0';

test('parses the fields we use from a real stat line (sleep on Debian 12)', async () => {
  const stat = await readProcessStat(join(FIXTURES_DIR, 'real-debian12-sleep'), 5678);
  assert.deepEqual(stat, {
    pid: 5678,
    comm: 'sleep',
    state: 'S',
    ppid: 1,
    minflt: 101,
    majflt: 0,
    startTimeTicks: 42672,
    rssPages: 419,
    cpuTicks: 0,
  });
});

test('comm with spaces and parentheses: split at the last ")"', () => {
  const stat = parseProcStat(`77 (a) (b c)) R 5 77 77 0 -1 0 11 0 22 0 3 4 0 0 20 0 1 0 333 4096 44 ${tail}`);
  assert.equal(stat?.comm, 'a) (b c)');
  assert.equal(stat?.state, 'R');
  assert.equal(stat?.ppid, 5);
  assert.equal(stat?.minflt, 11);
  assert.equal(stat?.majflt, 22);
  assert.equal(stat?.startTimeTicks, 333);
  assert.equal(stat?.rssPages, 44);
  assert.equal(stat?.cpuTicks, 7, 'utime 3 + stime 4');
});

test('an empty comm is allowed', () => {
  assert.equal(parseProcStat(`8 () S 1 0 0 0 -1 0 1 0 2 0 0 0 0 0 20 0 1 0 9 0 3 ${tail}`)?.comm, '');
});

test('truncated or garbled lines give null', () => {
  assert.equal(parseProcStat(''), null);
  assert.equal(parseProcStat('12 (cut) S 1 2 3'), null);
  assert.equal(parseProcStat('x (a) S 1 0 0 0 -1 0 1 0 2 0 0 0 0 0 20 0 1 0 9 0 3'), null);
  assert.equal(parseProcStat('12 (a) S 1 0 0 0 -1 0 x 0 2 0 0 0 0 0 20 0 1 0 9 0 3'), null);
});

test('readProcessStats lists numeric dirs only, sorted by pid', async () => {
  const stats = await readProcessStats(join(FIXTURES_DIR, 'synthetic-libvirt'));
  assert.deepEqual(stats.map((s) => [s.pid, s.comm, s.startTimeTicks]), [
    [2, 'kthreadd', 2],
    [900, 'bash', 3100],
    [1234, 'qemu-system-x86', 5000],
  ]);
  assert.equal(stats[2]?.minflt, 48213);
  assert.equal(stats[2]?.majflt, 17);
});

test('a vanished process or missing /proc gives null / [] instead of throwing', async () => {
  assert.equal(await readProcessStat(join(FIXTURES_DIR, 'synthetic-libvirt'), 4242), null);
  assert.deepEqual(await readProcessStats(join(FIXTURES_DIR, 'no-such-tree')), []);
});
