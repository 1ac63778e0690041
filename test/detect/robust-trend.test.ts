import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketMedians, fitQuality, median, theilSen } from '../../src/detect/robust-trend.js';
import { noiseSource } from './synthetic.js';

test('Theil-Sen: exact on a line, unmoved by a quarter of wild outliers, CI brackets the slope', () => {
  const line = Array.from({ length: 40 }, (_, i) => ({ tMs: i * 1000, value: 5 + 2 * i }));
  assert.equal(theilSen(line).slope, 2 / 1000);
  const spiked = line.map((p, i) => (i % 4 === 0 ? { ...p, value: p.value + 1e6 } : p));
  const fit = theilSen(spiked);
  assert.ok(Math.abs(fit.slope - 0.002) < 0.0002, `slope ${fit.slope}`);
  const noise = noiseSource(3, 5);
  const noisy = line.map((p) => ({ ...p, value: p.value + noise() }));
  const ci = theilSen(noisy);
  assert.ok(ci.slopeLow < 0.002 && ci.slopeHigh > 0.002 && ci.slopeLow > 0, `${ci.slopeLow} .. ${ci.slopeHigh}`);
  assert.ok(fitQuality(noisy, ci) > 0.8);
  assert.equal(fitQuality(line.map((p) => ({ ...p, value: 7 })), { slope: 0, intercept: 7 }), 0);
});

test('bucketMedians: at most N buckets of medians; short series unchanged', () => {
  const pts = Array.from({ length: 600 }, (_, i) => ({ tMs: i, value: i % 10 === 0 ? 1e9 : i }));
  const b = bucketMedians(pts, 60);
  assert.equal(b.length, 60);
  assert.ok(b.every((p) => p.value < 1000), 'a spike moved a bucket');
  assert.equal(bucketMedians(pts.slice(0, 10), 60).length, 10);
  assert.equal(median([3, 1, 2, 10]), 2.5);
});

test('median: a value holding more than half the values is the median without a sort; the same as sorting on every kind of input', () => {
  const bySorting = (values: number[]): number => {
    const s = [...values].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  };
  // evenly spaced points and one short last gap (the tracker's open point), a flat series
  assert.equal(median([5000, 5000, 5000, 1000]), 5000);
  assert.equal(median([7, 7, 7]), 7);
  // exactly half is not a majority: the two middle values averaged
  assert.equal(median([1, 1, 3, 3]), 2);
  assert.equal(median([2, 9, 2, 9, 2]), 2);
  const noise = noiseSource(11, 3);
  for (let n = 1; n <= 40; n++) {
    for (const share of [0, 0.3, 0.5, 0.51, 0.8, 1]) {
      const values = Array.from({ length: n }, (_, i) => (i < Math.round(share * n) ? 42 : Math.round(noise() * 10) + 42));
      for (let k = values.length - 1; k > 0; k--) [values[k], values[(k * 7) % (k + 1)]] = [values[(k * 7) % (k + 1)]!, values[k]!];
      assert.equal(median(values), bySorting(values), `n ${n}, share ${share}: ${values.join(',')}`);
    }
  }
  assert.ok(Number.isNaN(median([])));
});
