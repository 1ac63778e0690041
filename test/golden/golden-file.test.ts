// What goes into an expected file (golden-file.ts): formatted text normalised away,
// plain JSON only, and a layout that reads back as the same value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FORMATTED_TEXT, goldenText, pinnable } from './golden-file.js';

test('pinnable: every non-empty message is normalised away, empty ones and other text stay', () => {
  const value = {
    events: [{ type: 'oom-kill', message: 'OOM killer chose x: anon 64 MiB', anonRssBytes: 67108864 }, { type: 'gap', message: '' }],
    vms: [{ name: 'web01', findings: [{ detector: 'qemu-own', message: 'flat, now 65.0 MiB', limitName: 'VM memory size' }] }],
  };
  assert.deepEqual(pinnable(value), {
    events: [{ type: 'oom-kill', message: FORMATTED_TEXT, anonRssBytes: 67108864 }, { type: 'gap', message: '' }],
    vms: [{ name: 'web01', findings: [{ detector: 'qemu-own', message: FORMATTED_TEXT, limitName: 'VM memory size' }] }],
  });
});

test('pinnable: plain JSON, as a file would read back (NaN is null, undefined is gone)', () => {
  assert.deepEqual(pinnable({ values: [1, Number.NaN, Infinity], gone: undefined, n: -0 }), { values: [1, null, null], n: 0 });
});

test('goldenText reads back as the same value; small objects on one line, long lists wrapped', () => {
  const value = {
    rss: { totalBytes: 276221952, anonBytes: 252088320, fileBytes: 24133632, shmemBytes: 0, swapBytes: 0, guestRamBytes: 183967744 },
    series: Array.from({ length: 40 }, (_, i) => i * 1_000_003),
    nested: { rows: [{ id: 'a', hotspots: [{ region: 'anon', faults: 3 }] }], empty: [] },
  };
  const text = goldenText(value);
  assert.deepEqual(JSON.parse(text), value);
  const lines = text.split('\n');
  assert.ok(lines.some((l) => l.startsWith('  "rss": {"totalBytes":276221952,')), 'an object of plain values is one line');
  assert.ok(lines.every((l) => l.length <= 100 || !l.includes('"series"')));
  assert.ok(lines.filter((l) => /^ {4}\d/.test(l)).length > 1, 'the list is wrapped over several lines');
  assert.equal(goldenText([1, 2]), '[1,2]');
  assert.equal(goldenText('x'), '"x"');
});
