// Golden tests ("diff tests", as Perfetto has them): each saved real input (inputs.ts)
// runs through the whole pipeline without a kernel or root, and what comes out is
// compared field by field with expected/NAME.json. A difference fails the test with
// the list of JSON paths that moved, expected against actual. Numbers and structure
// are pinned; the formatters' text and the time of reading are not (README.md).
//
// When a change is meant, re-baseline and review:
//
//   UPDATE_GOLDEN=1 node test/run.mjs test/golden/golden.test.ts
//   git diff test/golden/expected/
//
// UPDATE_GOLDEN=1 rewrites every expected file from this run (and prints what moved);
// the facts below still check the files it wrote, so a re-baseline that breaks one
// of them fails all the same. Reviewing the diff is the step that accepts it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { diffJson, formatDifferences } from './json-diff.js';
import { pinnable, readExpected, writeExpected } from './golden-file.js';
import { INPUTS } from './inputs.js';

const EXPECTED_DIR = fileURLToPath(new URL('expected/', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';
/** Non-integers may move by this much (relative): the same sums in another order. */
const REL_TOLERANCE = 1e-9;
const RERUN = 'UPDATE_GOLDEN=1 node test/run.mjs test/golden/golden.test.ts';

for (const input of INPUTS) {
  const path = `${EXPECTED_DIR}${input.name}.json`;

  test(`${input.name}: the pipeline's output on ${input.files.join(' + ')} = expected/${input.name}.json`, async (t) => {
    const actual = pinnable(await input.run());
    const expected = readExpected(path);
    const differences = expected === undefined ? [] : diffJson(expected, actual, { relTolerance: REL_TOLERANCE });
    if (UPDATE) {
      mkdirSync(EXPECTED_DIR, { recursive: true });
      writeExpected(path, actual);
      const what = expected === undefined ? 'written (new)' : differences.length === 0 ? 'unchanged' : `rewritten, ${differences.length} fields moved:\n${formatDifferences(differences)}`;
      t.diagnostic(`expected/${input.name}.json ${what}`);
      return;
    }
    assert.ok(expected !== undefined, `expected/${input.name}.json is missing: make it with ${RERUN}, then review it`);
    if (differences.length > 0) {
      assert.fail(
        `${differences.length} fields differ from expected/${input.name}.json:\n${formatDifferences(differences)}\n` +
          `If the change is meant: ${RERUN}, then review git diff test/golden/expected/`,
      );
    }
  });

  test(`${input.name}: expected/${input.name}.json agrees with facts taken from the input itself`, async () => {
    const expected = readExpected(path);
    assert.ok(expected !== undefined, `expected/${input.name}.json is missing`);
    await input.facts(expected);
  });
}

test('expected/ holds one file per input and nothing else', () => {
  const files = readdirSync(EXPECTED_DIR).filter((f) => !f.startsWith('.')).sort();
  assert.deepEqual(files, INPUTS.map((i) => `${i.name}.json`).sort());
});
