import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR, SYNTHETIC_CMDLINES, cmdlineText } from '../fixtures/proc/synthetic-cmdlines.js';

test('synthetic cmdline files match synthetic-cmdlines.ts (regenerate with node --import tsx test/fixtures/proc/synthetic-cmdlines.ts)', () => {
  for (const [dir, argv] of Object.entries(SYNTHETIC_CMDLINES)) {
    assert.equal(readFileSync(join(FIXTURES_DIR, dir, 'cmdline'), 'utf8'), cmdlineText(argv), dir);
  }
});

test('cmdline text is NUL-terminated arguments', () => {
  assert.equal(cmdlineText(['a b', 'c']), 'a b\0c\0');
  assert.equal(cmdlineText([]), '');
});
