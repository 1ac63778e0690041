import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKsmStat, parseNumaMaps } from '../../src/host/ksm-numa.js';
import { FIXTURES_DIR } from '../fixtures/proc/synthetic-cmdlines.js';

const read = (path: string): string => readFileSync(join(FIXTURES_DIR, path), 'utf8');

test('ksm_stat: merging pages; 0 when the line is absent (early ksm_stat has only ksm_rmap_items)', () => {
  assert.equal(parseKsmStat(read('synthetic-libvirt/1234/ksm_stat')), 2048);
  assert.equal(parseKsmStat(read('real-debian12-sleep/5678/ksm_stat')), 0);
  assert.equal(parseKsmStat(read('synthetic-proxmox/2001/ksm_stat')), 0);
  assert.equal(parseKsmStat(''), 0);
});

test('real numa_maps (sleep, one node): N0 pages summed, lines without N skipped', () => {
  // the N0= counts of the file add up to 445 pages of 4 KiB
  assert.deepEqual(parseNumaMaps(read('real-debian12-sleep/5678/numa_maps')), [{ node: 0, bytes: 445 * 4096 }]);
});

test('two nodes, sorted, with a hugetlbfs line counted in 2 MiB pages', () => {
  assert.deepEqual(parseNumaMaps(read('synthetic-libvirt/1234/numa_maps')), [
    { node: 0, bytes: (512 + 4500 + 16384 + 16) * 4096 },
    { node: 1, bytes: (16384 + 1024) * 4096 + 2 * 2 * 2 ** 20 },
  ]);
});

test('pageSizeBytes applies to lines without kernelpagesize_kB', () => {
  assert.deepEqual(parseNumaMaps('7f0000000000 default anon=3 N2=3\n7f0000100000 default anon=1 N0=1\n', 16384), [
    { node: 0, bytes: 16384 },
    { node: 2, bytes: 3 * 16384 },
  ]);
  assert.deepEqual(parseNumaMaps(''), []);
});
