// The one formatter for bytes, rates, counts and durations (src/format/quantities.ts):
// exact strings for the rounding rule in its header, at the edges where units change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatBytesPerSec, formatCount, formatDuration, formatPerSec } from '../../src/format/quantities.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

function table(format: (value: number) => string, cases: Array<[number, string]>): void {
  assert.deepEqual(cases.map(([value]) => format(value)), cases.map(([, text]) => text));
}

test('bytes: binary units, 3 significant digits, trailing zeros dropped, whole from 100 up', () => {
  table(formatBytes, [
    [0, '0 B'],
    [1, '1 B'],
    [512, '512 B'],
    [1000, '1000 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [1263, '1.23 KiB'],
    [10 * KiB + 300, '10.3 KiB'],
    [64 * KiB, '64 KiB'],
    [123.4 * MiB, '123 MiB'],
    [1013 * KiB, '1013 KiB'],
    [1023.4 * KiB, '1023 KiB'],
    [1023.6 * KiB, '1 MiB'], // rounds to 1024 KiB: the next unit
    [99.96 * MiB, '100 MiB'],
    [2 * GiB, '2 GiB'],
    [1.54 * GiB, '1.54 GiB'],
    [3 * 1024 * GiB, '3 TiB'],
    [0.3, '0.3 B'],
    [-64 * KiB, '-64 KiB'],
    [-1.234 * MiB, '-1.23 MiB'],
    [Number.NaN, '–'],
    [Number.POSITIVE_INFINITY, '–'],
  ]);
});

test('byte rates: the bytes, per second', () => {
  table(formatBytesPerSec, [
    [0, '0 B/s'],
    [65536, '64 KiB/s'],
    [1.89 * MiB, '1.89 MiB/s'],
    [-4 * KiB, '-4 KiB/s'],
  ]);
});

test('counts: k M G T in steps of 1000, whole numbers stay whole', () => {
  table(formatCount, [
    [0, '0'],
    [7, '7'],
    [43, '43'],
    [999, '999'],
    [999.6, '1k'],
    [1000, '1k'],
    [1234, '1.23k'],
    [12345, '12.3k'],
    [123456, '123k'],
    [1.5e6, '1.5M'],
    [2.5e9, '2.5G'],
    [0.5, '0.5'],
    [2.25, '2.25'],
    [0.0333, '0.0333'],
    [-1234, '-1.23k'],
  ]);
});

test('count rates: the count, per second', () => {
  table(formatPerSec, [
    [0, '0/s'],
    [0.5, '0.5/s'],
    [1500, '1.5k/s'],
  ]);
});

test('durations: µs ms s min h d, 3 significant digits, zero in seconds', () => {
  table(formatDuration, [
    [0, '0 s'],
    [0.0005, '0.5 µs'],
    [0.35, '350 µs'],
    [1, '1 ms'],
    [2.1, '2.1 ms'],
    [168.5, '169 ms'],
    [999.7, '1 s'],
    [1000, '1 s'],
    [1500, '1.5 s'],
    [9000, '9 s'],
    [45_000, '45 s'],
    [59_990, '1 min'],
    [60_000, '1 min'],
    [75_000, '1.25 min'],
    [30 * 60_000, '30 min'],
    [6_150_000, '1.71 h'],
    [3_600_000, '1 h'],
    [36 * 3_600_000, '1.5 d'],
    [400 * 86_400_000, '400 d'],
    [-5000, '-5 s'],
    [Number.NaN, '–'],
  ]);
});

test('every unit is tried only from where the value holds 0.999 of it: the same text as trying each unit from the largest, over 20,000 values', () => {
  // the rule as written before the skip: each unit formatted, largest first
  const units = (names: string[], step: number) => names.map((name, i) => ({ name, size: step ** i }));
  const reference = (value: number, list: { name: string; size: number }[]): string => {
    const three = (v: number): string => (v >= 100 ? String(Math.round(v)) : String(Number(v.toPrecision(3))));
    const abs = Math.abs(value);
    if (abs === 0) return `0${list[0]!.name}`;
    const sign = value < 0 ? '-' : '';
    for (let i = list.length - 1; i > 0; i--) {
      const text = three(abs / list[i]!.size);
      if (Number(text) >= 1) return `${sign}${text}${list[i]!.name}`;
    }
    return `${sign}${three(abs / list[0]!.size)}${list[0]!.name}`;
  };
  const bytes = units([' B', ' KiB', ' MiB', ' GiB', ' TiB', ' PiB'], 1024);
  const counts = units(['', 'k', 'M', 'G', 'T'], 1000);
  let seed = 5;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 10_000; i++) {
    // every order of magnitude, and the edges just below a unit (0.9985-0.9995 of it)
    const value = i % 4 === 0 ? 1024 ** Math.floor(rand() * 5) * (0.998 + rand() * 0.002) : 10 ** (rand() * 16 - 2) * (rand() < 0.1 ? -1 : 1);
    assert.equal(formatBytes(value), reference(value, bytes), `bytes ${value}`);
    const count = i % 4 === 0 ? 1000 ** Math.floor(rand() * 4) * (0.998 + rand() * 0.002) : value;
    assert.equal(formatCount(count), reference(count, counts), `count ${count}`);
  }
});
