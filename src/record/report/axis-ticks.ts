// Chart axis ticks people can read. Pure.
//
// Values: from 0 up to the first tick at or above the largest value, in the
// smallest step of 1, 2, 2.5 or 5 times a power of ten that needs at most five
// (so at least three): 0 0.2 0.4 0.6 0.8 1 %, 0 0.25 0.5 0.75 %, 0 5 10 15 20 25 GiB,
// 0 100 200 300 MiB. Labels carry the decimals the step needs
// and no trailing zeros, so a label is the exact value of its tick (never 0.3 for
// 0.25). Bytes use one binary unit for the whole axis, the one of the largest value
// (0 0.5 1 1.5 GiB), so a tick is never 476.8 MiB.
//
// Time: ticks on round UTC clock times (every 1, 2, 5, 10, 15 or 30 s or min, every
// 1, 2, 3, 6 or 12 h, or every 1, 2, 7, 14 or 28 days) within the recording, about
// five; labelled 08:36:15, or 08:36 from one-minute steps; a midnight, or any tick
// from one-day steps, by its date: 11-27.

export type AxisUnit = 'bytes' | '%' | 'ms';

export interface Tick {
  value: number;
  label: string;
}

const MULTIPLES = [1, 2, 2.5, 5, 10];
const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** Ticks from 0 to at least `max` in at most `maxSteps` steps of 1, 2, 2.5 or 5 x 10^k
 * (the smallest such step); each label is its value with just the decimals the step
 * needs. An axis with nothing above 0 goes to 1. */
export function niceTicks(max: number, maxSteps = 5): Tick[] {
  const top = max > 0 && Number.isFinite(max) ? max : 1;
  const rough = top / maxSteps;
  const exponent = Math.floor(Math.log10(rough));
  const multiple = MULTIPLES.find((m) => m * 10 ** exponent >= rough * (1 - 1e-9))!;
  const step = multiple * 10 ** exponent;
  // 2.5 x 10^k needs one decimal more than 10^k; 10 x 10^k one less
  const decimals = Math.max(0, -exponent + (multiple === 2.5 ? 1 : 0) - (multiple === 10 ? 1 : 0));
  const count = Math.ceil(top / step - 1e-9);
  const ticks: Tick[] = [];
  for (let i = 0; i <= count; i++) {
    const fixed = (i * step).toFixed(decimals);
    ticks.push({ value: Number(fixed), label: decimals ? fixed.replace(/\.?0+$/, '') : fixed });
  }
  return ticks;
}

/** Ticks for a value axis in `unit`, labels with the unit: "0.25%", "2.5 ms", "1.5 GiB". */
export function valueTicks(max: number, unit: AxisUnit): Tick[] {
  if (unit === '%') return niceTicks(max).map((t) => ({ value: t.value, label: `${t.label}%` }));
  if (unit === 'ms') return niceTicks(max).map((t) => ({ value: t.value, label: `${t.label} ms` }));
  let power = 0;
  while (power < BYTE_UNITS.length - 1 && max >= 1024 ** (power + 1)) power += 1;
  const size = 1024 ** power;
  // a byte is not split: an axis in B goes up to at least 4 B, in whole bytes
  const inUnit = power === 0 ? Math.max(max, 4) : max / size;
  return niceTicks(inUnit).map((t) => ({ value: t.value * size, label: `${t.label} ${BYTE_UNITS[power]}` }));
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Each divides the next larger unit, so multiples of it since the epoch are round clock times. */
const TIME_STEPS_MS = [
  1, 2, 5, 10, 15, 30].map((n) => n * SECOND).concat(
  [1, 2, 5, 10, 15, 30].map((n) => n * MINUTE),
  [1, 2, 3, 6, 12].map((n) => n * HOUR),
  [1, 2, 7, 14, 28].map((n) => n * DAY),
);

/** Round UTC times within [t0Ms, t1Ms], about `target` steps apart; at least one tick
 * (t0Ms itself when no round time falls inside). */
export function timeTicks(t0Ms: number, t1Ms: number, target = 5): Tick[] {
  const rough = (t1Ms - t0Ms) / target;
  const step = TIME_STEPS_MS.find((s) => s >= rough) ?? TIME_STEPS_MS.at(-1)!;
  const iso = (ms: number): string => new Date(ms).toISOString();
  const label = (ms: number): string => (ms % DAY === 0 && step >= MINUTE ? iso(ms).slice(5, 10) : step >= MINUTE ? iso(ms).slice(11, 16) : iso(ms).slice(11, 19));
  const ticks: Tick[] = [];
  for (let t = Math.ceil(t0Ms / step) * step; t <= t1Ms; t += step) ticks.push({ value: t, label: label(t) });
  return ticks.length ? ticks : [{ value: t0Ms, label: iso(t0Ms).slice(11, 19) }];
}
