// Balloon: a virtio-balloon inflate (the guest hands pages back; QEMU calls
// madvise(MADV_DONTNEED) on them, growth.balloonBytes) should bring the VM's
// resident guest RAM down by about as much. When it does not, the host got nothing
// back. Pure.
//
//   ok: RSS falls with the inflate        suspect: madvised, RSS stays up
//   guest RAM ''''''''|                   guest RAM ''''''''|'''''''''''''''''
//                     |_____________                        |  (or dips, then
//   balloon           ####                balloon           ####   comes back)
//   +-----------------> t                 +-----------------> t
//
// Measure, on the last inflate in the stored history (3 windows; an inflate is the
// points with balloon bytes no more than settleMs apart): before = guest-RAM RSS at
// the point just before its first balloon bytes; now = the latest; returned =
// (before - now) / its balloon bytes. An inflate is judged whole, whatever the window
// edges, and its finding stands while the history holds it.
// A suspect message also gives guest RAM's lowest since the inflate began; the
// diagnosis (src/diagnose/balloon-rule.ts) reads the numbers from the finding's
// quantities (balloonInflateOf) to tell never-resident pages from churn.
// Causes of a low ratio: the pages were never resident (the guest gave back memory
// the host never backed: nothing to gain), the guest touched them again right away
// (balloon churn: the guest needs that memory), or guest RAM is backed by
// transparent huge pages that DONTNEED on 4 KiB pieces only splits, freeing them
// later.
// Thresholds:
//   minBalloonBytes   16 MiB in the window: virtio-balloon inflates in batches of
//                     256 pages (1 MiB); below a few batches the RSS change drowns
//                     in the guest's own churn.
//   returnedRatio     0.5: the host must get back at least half of what was
//                     madvised. A healthy inflate returns ~1.0 (measured on the
//                     test guest: 128 MiB balloon, RSS -100..-130 MiB).
//   settleMs          5 s (at least two intervals) after the last balloon bytes
//                     before judging: RSS is polled, the madvise is traced.
// Lost probe events in the window (the balloon bytes come from the growth probe)
// or no growth probe: insufficient-data.
import type { Finding } from '../model/snapshot.js';
import { asQuantities, bareFinding, quantitiesOf } from './finding.js';
import { growthProbeMissingSince, type DetectContext, type VmHistoryPoint } from './history.js';
import { formatBytes, formatDuration } from '../format/quantities.js';

export interface BalloonOptions {
  windowMs: number;
  minBalloonBytes: number;
  returnedRatio: number;
  settleMs: number;
}

export const BALLOON_DEFAULTS: BalloonOptions = {
  windowMs: 600_000,
  minBalloonBytes: 16 * 2 ** 20,
  returnedRatio: 0.5,
  settleMs: 5000,
};

export function detectBalloon(
  history: readonly VmHistoryPoint[],
  context: DetectContext,
  options: Partial<BalloonOptions> = {},
): Finding {
  const o = { ...BALLOON_DEFAULTS, ...options };
  const last = history.at(-1);
  if (!last) return bareFinding('balloon', 'insufficient-data', 'balloon: no history yet');
  const fromMs = last.timeMs - o.windowMs;
  let start = 0;
  while (history[start]!.timeMs < fromMs) start++;
  const fields = { windowMs: last.timeMs - history[start]!.timeMs };
  if (growthProbeMissingSince(history, fromMs)) {
    return bareFinding('balloon', 'insufficient-data', 'balloon: not judged, the growth probe group was not attached', fields);
  }
  if (context.lostEventsInWindow > 0) {
    return bareFinding('balloon', 'insufficient-data', `balloon: not judged, the probes lost ${context.lostEventsInWindow} events in the window`, fields);
  }
  const settleMs = Math.max(o.settleMs, 2 * last.intervalMs);
  const inflate = lastInflate(history, settleMs);
  if (!inflate) return bareFinding('balloon', 'ok', `balloon: no inflate in the last ${formatDuration(last.timeMs - history[0]!.timeMs)}`, fields);
  const { first, last: lastBalloon } = inflate;
  const ballooned = history.slice(first, lastBalloon + 1).reduce((s, p) => s + p.balloonBytes, 0);
  if (ballooned < o.minBalloonBytes) {
    return bareFinding('balloon', 'ok', `balloon: the last inflate gave back ${formatBytes(ballooned)}, too little to judge`, fields);
  }
  const since = history.slice(Math.max(0, first - 1));
  const lost = since.reduce((s, p) => s + p.lostEvents, 0);
  if (lost > 0 || since.some((p) => !p.growthProbe)) {
    return bareFinding('balloon', 'insufficient-data', lost > 0
      ? `balloon: not judged, the probes lost ${lost} events since the inflate began`
      : 'balloon: not judged, the growth probe group was not attached since the inflate began', fields);
  }
  const before = history[first - 1];
  if (!before) {
    return bareFinding('balloon', 'insufficient-data',
      `balloon: not judged, the ${formatBytes(ballooned)} inflate began before the first guest-RAM reading faultline has (it started mid-inflate)`, fields);
  }
  if (last.timeMs - history[lastBalloon]!.timeMs < settleMs) {
    return bareFinding('balloon', 'insufficient-data', `balloon: ${formatBytes(ballooned)} inflate still settling`, fields);
  }
  const returned = before.guestRamBytes - last.guestRamBytes;
  const ratio = returned / ballooned;
  const evidence = {
    windowMs: last.timeMs - before.timeMs,
    growthBytesPerSec: ((last.guestRamBytes - before.guestRamBytes) * 1000) / Math.max(1, last.timeMs - before.timeMs),
    fit: Math.max(0, Math.min(1, ratio)),
    sinceMs: history[first]!.timeMs,
  };
  const what = `balloon inflate of ${formatBytes(ballooned)} (madvise DONTNEED on guest RAM) ` +
    `took guest RAM from ${formatBytes(before.guestRamBytes)} to ${formatBytes(last.guestRamBytes)} over ${formatDuration(evidence.windowMs)}`;
  if (ratio >= o.returnedRatio) return bareFinding('balloon', 'ok', `${what}: the host got it back`, evidence);
  const lowest = Math.min(...history.slice(first).map((p) => p.guestRamBytes));
  const quantities = { balloonedBytes: ballooned, beforeBytes: before.guestRamBytes, nowBytes: last.guestRamBytes, lowestBytes: lowest };
  return bareFinding('balloon', 'suspect',
    `${what}: the host got back only ${formatBytes(Math.max(0, returned))}, and guest RAM was at its lowest ${formatBytes(lowest)} since. ` +
    'Either the pages were never resident, ' +
    'the guest touched them again (balloon churn: it needs that memory), or guest RAM is on transparent huge pages ' +
    'that DONTNEED only splits; check the guest\'s balloon driver and AnonHugePages of QEMU.', { ...evidence, quantities: asQuantities(quantities) });
}

/** The numbers behind a suspect finding, for the diagnosis (src/diagnose/
 * balloon-rule.ts): what was ballooned, guest RAM before it, now, and at its lowest
 * since (the finding's quantities). null for other findings. */
export interface BalloonInflate {
  balloonedBytes: number;
  beforeBytes: number;
  nowBytes: number;
  lowestBytes: number;
}

export function balloonInflateOf(finding: Finding): BalloonInflate | null {
  if (finding.detector !== 'balloon' || finding.verdict !== 'suspect') return null;
  const q = quantitiesOf(finding);
  const [balloonedBytes, beforeBytes, nowBytes, lowestBytes] = [q.balloonedBytes, q.beforeBytes, q.nowBytes, q.lowestBytes];
  return [balloonedBytes, beforeBytes, nowBytes, lowestBytes].every((v) => typeof v === 'number' && Number.isFinite(v))
    ? { balloonedBytes: balloonedBytes!, beforeBytes: beforeBytes!, nowBytes: nowBytes!, lowestBytes: lowestBytes! }
    : null;
}

/** The last inflate: indices of its first and last points with balloon bytes (points
 * with balloon bytes no more than `gapMs` apart belong to one inflate). */
function lastInflate(history: readonly VmHistoryPoint[], gapMs: number): { first: number; last: number } | null {
  let last = -1;
  for (let i = history.length - 1; i >= 0 && last < 0; i--) if (history[i]!.balloonBytes > 0) last = i;
  if (last < 0) return null;
  let first = last;
  for (let i = last - 1; i >= 0; i--) {
    if (history[first]!.timeMs - history[i]!.timeMs > gapMs) break;
    if (history[i]!.balloonBytes > 0) first = i;
  }
  return { first, last };
}
