// Bytes, rates, counts and durations as people read them: the one formatter for the
// detectors' messages, the CLI, the report and the browser UI. Pure. The UI bundles
// this file (web/src imports it as ../../src/format/quantities.js), so it imports
// nothing and uses nothing of Node's; test/web/web-imports.test.ts checks that.
//
// The rounding rule, the same for every quantity:
// - scale to the largest unit the value has at least 1 of (after rounding, so
//   1023.9 KiB is "1 MiB" and 59.99 s is "1 min");
// - show 3 significant digits and drop trailing zeros: 1.5 MiB, 1.23 MiB, 12.3 MiB;
// - from 100 up show the whole number: 123 MiB, and 1000 to 1023 of a binary unit
//   stay "1013 KiB" rather than become 0.99 MiB;
// - negative values keep their sign; NaN and ±Infinity read "–".
//
//   bytes        B KiB MiB GiB TiB PiB, steps of 1024    formatBytes(1536)            "1.5 KiB"
//   byte rates   the same, per second                    formatBytesPerSec(65536)     "64 KiB/s"
//   counts       no unit, k M G T, steps of 1000         formatCount(12345)           "12.3k"
//   count rates  the same, per second                    formatPerSec(0.5)            "0.5/s"
//   durations    µs ms s min h d; zero is "0 s"          formatDuration(90_000)       "1.5 min"

interface Unit {
  name: string;
  /** how many of the base unit one of these is */
  size: number;
}

const BYTE_UNITS: readonly Unit[] = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'].map((name, i) => ({ name: ` ${name}`, size: 1024 ** i }));
const COUNT_UNITS: readonly Unit[] = ['', 'k', 'M', 'G', 'T'].map((name, i) => ({ name, size: 1000 ** i }));
const DURATION_UNITS: readonly Unit[] = [
  { name: ' µs', size: 1e-3 },
  { name: ' ms', size: 1 },
  { name: ' s', size: 1000 },
  { name: ' min', size: 60_000 },
  { name: ' h', size: 3_600_000 },
  { name: ' d', size: 86_400_000 },
];

/** 3 significant digits, trailing zeros dropped; whole from 100 up. */
function threeDigits(value: number): string {
  return value >= 100 ? String(Math.round(value)) : String(Number(value.toPrecision(3)));
}

/** `value` (in the base unit, size 1) in the largest of `units` (smallest first) it
 * has at least 1 of once rounded; zero in `zeroUnit`. */
function inUnits(value: number, units: readonly Unit[], zeroUnit: Unit): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs === 0) return `0${zeroUnit.name}`;
  const sign = value < 0 ? '-' : '';
  for (let i = units.length - 1; i > 0; i--) {
    const unit = units[i]!;
    // below 0.999 of a unit, 3 digits round to 0.999 at most: not this unit (skipped
    // without formatting; the detectors format a few numbers per row each judgment)
    if (abs < 0.999 * unit.size) continue;
    const text = threeDigits(abs / unit.size);
    if (Number(text) >= 1) return `${sign}${text}${unit.name}`;
  }
  return `${sign}${threeDigits(abs / units[0]!.size)}${units[0]!.name}`;
}

/** 1536 -> "1.5 KiB", 4 GiB -> "4 GiB", 1013 KiB -> "1013 KiB". */
export function formatBytes(bytes: number): string {
  return inUnits(bytes, BYTE_UNITS, BYTE_UNITS[0]!);
}

/** 65536 -> "64 KiB/s". */
export function formatBytesPerSec(bytesPerSec: number): string {
  return `${formatBytes(bytesPerSec)}/s`;
}

/** 7 -> "7", 1234 -> "1.23k", 0.5 -> "0.5". */
export function formatCount(count: number): string {
  return inUnits(count, COUNT_UNITS, COUNT_UNITS[0]!);
}

/** Events per second: 1234 -> "1.23k/s". */
export function formatPerSec(perSec: number): string {
  return `${formatCount(perSec)}/s`;
}

/** 0.35 -> "350 µs", 2500 -> "2.5 s", 90_000 -> "1.5 min", 0 -> "0 s". */
export function formatDuration(ms: number): string {
  return inUnits(ms, DURATION_UNITS, DURATION_UNITS[2]!);
}
