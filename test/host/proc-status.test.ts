import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProcStatus } from '../../src/host/proc-status.js';
import { FIXTURES_DIR } from '../fixtures/proc/synthetic-cmdlines.js';

const read = (path: string): string => readFileSync(join(FIXTURES_DIR, path), 'utf8');

test('real status (sleep): kB lines in bytes', () => {
  assert.deepEqual(parseProcStatus(read('real-debian12-sleep/5678/status')), {
    rssBytes: 1784 * 1024,
    anonBytes: 108 * 1024,
    fileBytes: 1676 * 1024,
    shmemBytes: 0,
    swapBytes: 0,
  });
});

test('QEMU with swap', () => {
  const status = parseProcStatus(read('synthetic-libvirt/1234/status'));
  assert.equal(status.rssBytes, 181248 * 1024);
  assert.equal(status.anonBytes, 155280 * 1024);
  assert.equal(status.swapBytes, 1024 * 1024);
});

test('kernel threads have no memory lines: zeros', () => {
  assert.deepEqual(parseProcStatus(read('synthetic-libvirt/2/status')), {
    rssBytes: 0,
    anonBytes: 0,
    fileBytes: 0,
    shmemBytes: 0,
    swapBytes: 0,
  });
});
