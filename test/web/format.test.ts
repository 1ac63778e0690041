// The UI's own words for times (web/src/format.ts): the replay position reads like a
// player's, M:SS or H:MM:SS, never "4.98 min of 10 min".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPlayerTime } from '../../web/src/format.js';

test('replay positions read M:SS, and H:MM:SS from an hour', () => {
  assert.equal(formatPlayerTime(0), '0:00');
  assert.equal(formatPlayerTime(31_200), '0:31');
  assert.equal(formatPlayerTime(61_700), '1:01');
  assert.equal(formatPlayerTime(299_000), '4:59');
  assert.equal(formatPlayerTime(3_600_000 + 5 * 60_000 + 7_000), '1:05:07');
  assert.equal(formatPlayerTime(-5), '0:00');
});
