// detectBalloon over SYNTHETIC histories: an inflate is judged whole, whatever the
// window's edges (a 129 MB inflate spread over several points was judged on its
// second half once its start left the window, then "no inflate in the window"),
// and its finding stands while the stored history holds it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectBalloon } from '../../src/detect/balloon.js';
import type { DetectContext, VmHistoryPoint } from '../../src/detect/history.js';
import { MiB, vmPointAt } from './synthetic.js';

const context: DetectContext = {
  hostMemAvailableBytes: 8192 * MiB, hostMemTotalBytes: 16384 * MiB, psiMemSomeAvg10: 0,
  cgroupLimitBytes: 0, cgroupUsageBytes: 0, vmMemoryBytes: 1024 * MiB, lostEventsInWindow: 0,
};

/** 1 s points for `seconds`; a 129 MiB inflate over 8 s starting at 20 s, guest RAM following it. */
function history(seconds: number, follows: boolean): VmHistoryPoint[] {
  return Array.from({ length: seconds + 1 }, (_, t) => {
    const inflating = t >= 20 && t < 28;
    const given = Math.min(8, Math.max(0, t - 20 + (inflating ? 1 : 0))) * (129 / 8) * MiB;
    return vmPointAt(t * 1000, 1000, {
      memoryBytes: 1024 * MiB, guestRamKnown: true,
      guestRamBytes: 600 * MiB - (follows ? given : 0),
      balloonBytes: inflating ? (129 / 8) * MiB : 0,
    });
  });
}

test('an inflate whose start left the window is judged whole, and stands while the history holds it', () => {
  // window 10 s: at 40 s the whole inflate (20-28 s) is out of the window
  for (const at of [40, 50]) {
    const f = detectBalloon(history(at, true), context, { windowMs: 10_000 });
    assert.equal(f.verdict, 'ok', f.message);
    assert.match(f.message, /balloon inflate of 129 MiB .* took guest RAM from 600 MiB to 471 MiB .*: the host got it back/);
  }
  const kept = detectBalloon(history(40, false), context, { windowMs: 10_000 });
  assert.equal(kept.verdict, 'suspect', kept.message);
});

test('faultline started mid-inflate: said so, not "no reading"', () => {
  const f = detectBalloon(history(40, true).slice(22), context, { windowMs: 10_000 });
  assert.equal(f.verdict, 'insufficient-data');
  assert.match(f.message, /inflate began before the first guest-RAM reading faultline has \(it started mid-inflate\)/);
  const none = detectBalloon(history(15, true), context, { windowMs: 10_000 });
  assert.match(none.message, /^balloon: no inflate in the last 15 s$/);
});
