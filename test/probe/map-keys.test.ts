// When a probe map counts as full, and how far faultline grows the maps (synthetic
// batches: only the number of keys matters here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fullMaps, grownMapKeys, MAP_KEYS_CAP, MAP_KEYS_START } from '../../src/probe/map-keys.js';
import { emptyBatch } from '../../src/parse/probe-batch.js';
import { probeEnv } from '../../src/probe/bpftrace-version.js';

function batchWith(keys: Record<string, [number, number]>, complete = true) {
  const batch = { ...emptyBatch('faults'), complete };
  for (const [name, [keyWidth, count]] of Object.entries(keys)) {
    batch.maps.set(name, { keyWidth, keys: Array.from({ length: count * keyWidth }, (_, i) => i), values: Array.from({ length: count }, () => 1) });
  }
  return batch;
}

test('a keyed map is full at exactly its limit of keys, not one below', () => {
  assert.deepEqual(fullMaps(batchWith({ '@fault_region_sampled': [2, 4095], '@fault_user': [1, 3] }), 4096), []);
  assert.deepEqual(fullMaps(batchWith({ '@fault_region_sampled': [2, 4096], '@fault_user': [1, 3] }), 4096), ['@fault_region_sampled']);
  assert.deepEqual(fullMaps(batchWith({ '@a': [1, 64], '@b': [2, 70] }), 64), ['@a', '@b']);
});

test('scalar maps and the dump at exit (both halves merged) never count as full', () => {
  assert.deepEqual(fullMaps(batchWith({ '@events': [0, 1] }), 1), []);
  assert.deepEqual(fullMaps(batchWith({ '@fault_region_sampled': [2, 8192] }, false), 4096), []);
});

test('maps grow 4x from bpftrace\'s default to the cap, and no further', () => {
  assert.equal(MAP_KEYS_START, 4096);
  assert.equal(grownMapKeys(4096, MAP_KEYS_CAP), 16384);
  assert.equal(grownMapKeys(16384, MAP_KEYS_CAP), 65536);
  assert.equal(grownMapKeys(65536, MAP_KEYS_CAP), null);
  assert.equal(grownMapKeys(32768, MAP_KEYS_CAP), 65536, 'never past the cap');
  assert.equal(grownMapKeys(64, MAP_KEYS_CAP), 256);
  assert.equal(grownMapKeys(131072, 131072), null, 'a --map-keys above the cap is kept, not grown');
});

test('the key limit goes to bpftrace under the name its version reads', () => {
  assert.deepEqual(probeEnv({ text: '0.17.0', major: 0, minor: 17 }), { BPFTRACE_MAP_KEYS_MAX: '4096' });
  assert.deepEqual(probeEnv({ text: '0.23.2', major: 0, minor: 23 }, 16384), { BPFTRACE_MAX_MAP_KEYS: '16384' });
});
