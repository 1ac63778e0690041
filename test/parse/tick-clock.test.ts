// The clock in a probe's tick line: `faultline_tick GROUP INDEX NSECS` (probes/README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeBatcher, tickClock } from '../../src/parse/probe-batch.js';

test('a tick line with INDEX and NSECS ends a batch that carries them', () => {
  const b = new ProbeBatcher('kvm');
  // the tick line as probes/kvm.bt printed it on this machine (0.17)
  const out = b.push({ type: 'printf', text: 'faultline_tick kvm 10077 10077007999568\n' });
  assert.equal(out?.kind, 'batch');
  if (out?.kind !== 'batch') return;
  assert.equal(out.batch.complete, true);
  assert.equal(out.batch.intervalIndex, 10077);
  assert.equal(out.batch.tickNs, 10077007999568);
});

test('older tick lines and garbage carry no clock', () => {
  assert.deepEqual(tickClock('faultline_tick faults'), {});
  assert.deepEqual(tickClock('faultline_tick faults 12'), {});
  assert.deepEqual(tickClock('faultline_tick faults x 12'), {});
  assert.deepEqual(tickClock('faultline_tick faults 12 -5'), {});
  assert.deepEqual(tickClock('faultline_tick faults 12 34'), { intervalIndex: 12, tickNs: 34 });
});
