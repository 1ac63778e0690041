import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProcStatus } from '../../src/host/proc-status.js';
import { parseSmapsRollup } from '../../src/host/smaps.js';
import { FIXTURES_DIR } from '../fixtures/proc/synthetic-cmdlines.js';

const read = (path: string): string => readFileSync(join(FIXTURES_DIR, path), 'utf8');

/** The reference: every "Name:  value kB" line as bytes, by a regular expression per
 * line (the collector's own parser until 2026-12-07; it now reads the lines it uses by
 * name, src/host/proc-status.ts kbLineBytes). */
function parseKbLines(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([^:\s]+):\s+(\d+) kB$/.exec(line.trimEnd());
    if (match?.[1] && match[2]) values.set(match[1], Number(match[2]) * 1024);
  }
  return values;
}

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

test("every real /proc/PID/status and smaps_rollup here: the same values as the generic kB-line parser's", () => {
  let compared = 0;
  let rollups = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${name}/status`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const kb = parseKbLines(text);
    const expected = { rssBytes: kb.get('VmRSS') ?? 0, anonBytes: kb.get('RssAnon') ?? 0, fileBytes: kb.get('RssFile') ?? 0, shmemBytes: kb.get('RssShmem') ?? 0, swapBytes: kb.get('VmSwap') ?? 0 };
    assert.deepEqual(parseProcStatus(text), expected, `/proc/${name}/status`);
    compared += 1;
    let rollup: string;
    try {
      rollup = readFileSync(`/proc/${name}/smaps_rollup`, 'utf8');
    } catch {
      continue; // a kernel thread (no memory to sum), or exited meanwhile
    }
    const rk = parseKbLines(rollup);
    rollups += 1;
    assert.deepEqual(parseSmapsRollup(rollup), { rssBytes: rk.get('Rss') ?? 0, anonHugeBytes: rk.get('AnonHugePages') ?? 0, anonBytes: rk.get('Anonymous') ?? 0, swapBytes: rk.get('Swap') ?? 0 }, `/proc/${name}/smaps_rollup`);
  }
  assert.ok(compared >= 10, `${compared} processes compared`);
  assert.ok(rollups >= 5, `${rollups} non-empty smaps_rollup compared`);
});

test('status lines that are not "Name: value kB" read as 0, as the generic parser reads them', () => {
  const cases = ['VmRSS:\t12 kB', 'VmRSS:12 kB', 'VmRSS:\t12 MB', 'VmRSS:\t kB', 'VmRSS:\t12 kBx', 'XVmRSS:\t12 kB', 'Name:\tVmRSS:\t12 kB', 'VmRSS:\t12 kB  ', 'Name:\tx\nVmRSS:   7 kB\r\nVmSwap:\t3 kB'];
  for (const text of cases) {
    const kb = parseKbLines(text);
    assert.equal(parseProcStatus(text).rssBytes, kb.get('VmRSS') ?? 0, JSON.stringify(text));
    assert.equal(parseProcStatus(text).swapBytes, kb.get('VmSwap') ?? 0, JSON.stringify(text));
  }
});
