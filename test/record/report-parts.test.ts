import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantileUpperNs } from '../../src/record/report/histogram.js';
import { SeriesSampler } from '../../src/record/report/series-sampler.js';
import { escapeHtml, lineChart } from '../../src/record/report/svg-chart.js';

test('p99 from log2 stall histograms: the top of the bucket holding it, capped by the max seen', () => {
  // 98 stalls in [1 ms, 2 ms), 2 in [16 ms, 32 ms)
  const buckets = new Map([[2 ** 20, 98], [2 ** 24, 2]]);
  assert.equal(quantileUpperNs(buckets, 0.99), 2 ** 25);
  assert.equal(quantileUpperNs(buckets, 0.99, 20e6), 20e6);
  assert.equal(quantileUpperNs(buckets, 0.5), 2 ** 21);
  assert.equal(quantileUpperNs(new Map(), 0.99), -1);
  assert.equal(quantileUpperNs(new Map([[0, 5]]), 0.99), 1);
});

test('series sampler: bounded points, peaks and troughs survive merging, absent is NaN', () => {
  const sampler = new SeriesSampler(4);
  for (let i = 0; i < 16; i++) {
    const values = new Map([['up', { value: i === 5 ? 100 : i, keep: 'max' as const }], ['down', { value: i === 9 ? -50 : i, keep: 'min' as const }]]);
    if (i >= 8) values.set('late', { value: 1, keep: 'max' });
    sampler.add(i * 1000, values);
  }
  assert.ok(sampler.timeMs.length <= 4);
  assert.deepEqual(sampler.timeMs, [0, 4000, 8000, 12000]);
  assert.deepEqual(sampler.series.get('up')!.values, [3, 100, 11, 15]);
  assert.deepEqual(sampler.series.get('down')!.values, [0, 4, -50, 12]);
  assert.deepEqual(sampler.series.get('late')!.values, [Number.NaN, Number.NaN, 1, 1]);
});

test('svg chart: names escaped, NaN and gaps break the line, no script', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  const svg = lineChart({
    title: 'RSS <b>', timeMs: [0, 1000, 2000, 3000, 60_000, 61_000], unit: 'bytes',
    lines: [{ name: '<script>alert(1)</script>', values: [1, 2, Number.NaN, 4, 5, 6], color: '#000' }],
    markers: [{ timeMs: 1000, label: 'oom-kill: "x"' }],
  });
  assert.doesNotMatch(svg, /<script|<b>/);
  assert.match(svg, /&#60;script&#62;alert\(1\)&#60;\/script&#62;/);
  const path = svg.match(/<path d="([^"]+)"/)![1]!;
  assert.equal(path.match(/M/g)!.length, 3, 'three runs: before the NaN, after it, after the 57 s gap');
});
