// Chart ticks: round steps, labels that are the exact tick values, every chart of the
// HTML report on them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { niceTicks, timeTicks, valueTicks } from '../../src/record/report/axis-ticks.js';
import { lineChart } from '../../src/record/report/svg-chart.js';

const labels = (ticks: Array<{ label: string }>): string[] => ticks.map((t) => t.label);
const GiB = 2 ** 30;
const MiB = 2 ** 20;

test('ticks: steps of 1, 2, 2.5 or 5 x 10^k, labels exact, no 0.3 / 0.5 / 0.8', () => {
  // the PSI chart: 0 to 1 % was cut in quarters and printed with one decimal
  assert.deepEqual(labels(niceTicks(1)), ['0', '0.2', '0.4', '0.6', '0.8', '1']);
  assert.deepEqual(labels(niceTicks(0.7)), ['0', '0.2', '0.4', '0.6', '0.8']);
  assert.deepEqual(labels(niceTicks(1.1)), ['0', '0.25', '0.5', '0.75', '1', '1.25']);
  assert.deepEqual(labels(niceTicks(12.5)), ['0', '2.5', '5', '7.5', '10', '12.5']);
  assert.deepEqual(labels(niceTicks(13)), ['0', '5', '10', '15']);
  assert.deepEqual(labels(niceTicks(263)), ['0', '100', '200', '300']);
  assert.deepEqual(labels(niceTicks(0)), ['0', '0.2', '0.4', '0.6', '0.8', '1'], 'nothing above 0: 0 to 1');
  assert.deepEqual(niceTicks(1.1).map((t) => t.value), [0, 0.25, 0.5, 0.75, 1, 1.25]);
});

test('ticks for any maximum: 3 to 5 steps of a nice size, the top at or above it, every label its value', () => {
  for (let exponent = -6; exponent <= 9; exponent++) {
    for (let mantissa = 1; mantissa < 10; mantissa += 0.07) {
      const max = mantissa * 10 ** exponent;
      const ticks = niceTicks(max);
      const step = ticks[1]!.value;
      const scaled = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
      assert.ok([1, 2, 2.5, 5].some((m) => Math.abs(scaled - m) < 1e-9), `max ${max}: step ${step}`);
      assert.ok(ticks.length >= 4 && ticks.length <= 6, `max ${max}: ${ticks.length - 1} steps`);
      assert.ok(ticks.at(-1)!.value >= max * (1 - 1e-12), `max ${max}: top ${ticks.at(-1)!.value}`);
      assert.ok(ticks.at(-2)!.value < max, `max ${max}: one step too many`);
      ticks.forEach((t, i) => {
        assert.ok(Math.abs(t.value - i * step) <= 1e-9 * step, `max ${max}: tick ${i} is ${t.value}`);
        assert.equal(Number(t.label), t.value, `max ${max}: label ${t.label} is not its value`);
        assert.doesNotMatch(t.label, /e|\.\d*0$/, `max ${max}: label ${t.label}`);
      });
    }
  }
});

test('value axes: one unit for the whole axis, bytes in binary units', () => {
  assert.deepEqual(labels(valueTicks(1.3 * GiB, 'bytes')), ['0 GiB', '0.5 GiB', '1 GiB', '1.5 GiB']);
  assert.deepEqual(labels(valueTicks(23.5 * GiB, 'bytes')), ['0 GiB', '5 GiB', '10 GiB', '15 GiB', '20 GiB', '25 GiB']);
  assert.deepEqual(labels(valueTicks(900 * MiB, 'bytes')), ['0 MiB', '200 MiB', '400 MiB', '600 MiB', '800 MiB', '1000 MiB']);
  assert.deepEqual(valueTicks(1.3 * GiB, 'bytes').map((t) => t.value), [0, 0.5 * GiB, GiB, 1.5 * GiB]);
  assert.deepEqual(labels(valueTicks(0, 'bytes')), ['0 B', '1 B', '2 B', '3 B', '4 B'], 'a byte is not split');
  assert.deepEqual(labels(valueTicks(0.9, '%')), ['0%', '0.2%', '0.4%', '0.6%', '0.8%', '1%']);
  assert.deepEqual(labels(valueTicks(4.2, 'ms')), ['0 ms', '1 ms', '2 ms', '3 ms', '4 ms', '5 ms']);
});

test('time axes: round UTC times inside the recording', () => {
  const at = (h: number, m: number, s: number, day = 26): number => Date.UTC(2026, 10, day, h, m, s);
  assert.deepEqual(labels(timeTicks(at(8, 35, 44) + 300, at(8, 36, 46))), ['08:35:45', '08:36:00', '08:36:15', '08:36:30', '08:36:45']);
  assert.deepEqual(labels(timeTicks(at(8, 3, 10), at(9, 1, 0))), ['08:15', '08:30', '08:45', '09:00']);
  assert.deepEqual(labels(timeTicks(at(8, 35, 44), at(9, 0, 0, 27))), ['12:00', '18:00', '11-27', '06:00'], 'midnight is a date');
  assert.deepEqual(labels(timeTicks(at(8, 35, 44, 1), at(8, 35, 44, 25))), ['11-05', '11-12', '11-19'], 'weeks');
  assert.deepEqual(labels(timeTicks(at(8, 35, 44) + 100, at(8, 35, 44) + 600)), ['08:35:44'], 'no round second inside: its start');
});

test('svg chart: the y labels are the ticks, the lines scaled to the top tick', () => {
  const svg = lineChart({
    title: 'PSI', timeMs: [0, 1000, 2000, 3000], unit: '%',
    lines: [{ name: 'some avg10', values: [0, 1.1, 0.35, 0], color: '#000' }],
  });
  assert.deepEqual([...svg.matchAll(/class="ylabel"[^>]*>([^<]*)</g)].map((m) => m[1]), ['0%', '0.25%', '0.5%', '0.75%', '1%', '1.25%']);
  assert.deepEqual([...svg.matchAll(/class="xlabel"[^>]*>([^<]*)</g)].map((m) => m[1]), ['00:00:00', '00:00:01', '00:00:02', '00:00:03']);
  // 220 high, 24 above the plot and 22 below: 1.1 of 1.25 is 0.12 of 174 below the top
  const path = svg.match(/<path d="([^"]+)"/)![1]!;
  assert.equal(path.split('L')[1], '343.3 44.9');
});
