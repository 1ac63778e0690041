// A probe group that cannot attach (here: a SYNTHETIC kvm.bt naming a tracepoint that
// does not exist) is reported with bpftrace's reason, and the other groups run.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { kernelGate } from '../harness/kernel-gate.js';
import { startLive, type LiveRun } from '../harness/faultline-live.js';
import { probeFile } from '../../src/probe/probe-groups.js';

const skip = kernelGate();
const DIR = `/tmp/faultline-probes-${process.pid}`;
let live: LiveRun | null = null;
after(async () => {
  await live?.stop();
  rmSync(DIR, { recursive: true, force: true });
});

test('a group whose tracepoint is missing degrades with a reason; the rest runs', { skip, timeout: 90_000 }, async () => {
  mkdirSync(DIR, { recursive: true });
  for (const g of ['faults', 'reclaim', 'growth'] as const) copyFileSync(probeFile(g), `${DIR}/${g}.bt`);
  writeFileSync(`${DIR}/kvm.bt`, [
    '// SYNTHETIC: a kvm probe on a kernel without this tracepoint',
    'BEGIN { printf("faultline_ready kvm\\n"); }',
    'tracepoint:kvm:kvm_no_such_event { @kvm_fault[pid] = count(); }',
    'interval:ms:$1 { print(@kvm_fault); clear(@kvm_fault); printf("faultline_tick kvm\\n"); }',
    '',
  ].join('\n'));
  live = startLive(['--interval', '500ms', '--probes-dir', DIR]);
  const first = await live.waitFor(() => true, 90_000, 'the first snapshot');
  assert.deepEqual([...first.probes.attached].sort(), ['faults', 'growth', 'reclaim']);
  const kvm = first.probes.groups.find((g) => g.group === 'kvm')!;
  assert.equal(kvm.attached, false);
  assert.match(kvm.error, /kvm_no_such_event/);
  assert.ok(live.stderr.some((l) => /kvm\s+NOT attached/.test(l)));
  assert.ok(first.vms.length > 0, 'the other groups still report');
});
