// Counter totals (src/aggregate/counter-totals.ts): the sums of per-interval counts
// that the report and /metrics both make, checked by hand and then end to end: the
// same snapshots give the report and the Prometheus text the same totals. Rows and
// hosts are SYNTHETIC (test/detect/snapshots.ts, every field zero unless given).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addFaults, addHostCounts, NO_FAULTS, NO_HOST_COUNTS } from '../../src/aggregate/counter-totals.js';
import type { Snapshot, VmSnapshot } from '../../src/model/snapshot.js';
import { ReportBuilder } from '../../src/record/report/build-report.js';
import { MetricsState } from '../../src/serve/metrics.js';
import { testMeta } from '../record/recording-bytes.js';
import { snapshotAt, vmRow } from '../detect/snapshots.js';

function row(i: number): VmSnapshot {
  return vmRow({
    id: '7@1', pid: 7, kind: 'vm', name: 'web01',
    faults: { minor: 10 * i, major: i, user: 8 * i, kernel: 2 * i, file: 3 * i, guestRam: 5 * i, guestRamSource: 'kvm', fileSource: 'probe' },
    kvm: { eptFaults: 4 * i, asyncPf: 0, asyncPfNotPresent: 0, asyncPfReady: 0, mmuNotifier: 0, mmuNotifierBytes: 0, exits: [], map4k: 0, map2m: 0, map1g: 0 },
  });
}

function snapshot(i: number): Snapshot {
  const s = snapshotAt(i, i * 1000, 1000, [row(i)], { kswapdWakes: i, kswapdRunNs: 1e6 * i });
  s.host.vmstat = { ...s.host.vmstat, pgfault: 100 * i, pgmajfault: i, pswpin: 2 * i, pswpout: 3 * i, zswpin: 4 * i, zswpout: 5 * i, zswpwb: i, compactStall: i, oomKill: i === 2 ? 1 : 0 };
  return s;
}

test('faults: every type and EPT faults add up; the total passed in is left alone', () => {
  const once = addFaults(NO_FAULTS, row(1));
  const twice = addFaults(once, row(2));
  assert.deepEqual(once, { minor: 10, major: 1, user: 8, kernel: 2, file: 3, guestRam: 5, eptFaults: 4 });
  assert.deepEqual(twice, { minor: 30, major: 3, user: 24, kernel: 6, file: 9, guestRam: 15, eptFaults: 12 });
  assert.deepEqual(NO_FAULTS, { minor: 0, major: 0, user: 0, kernel: 0, file: 0, guestRam: 0, eptFaults: 0 });
});

test('host: vmstat deltas and the reclaim probe\'s counts add up', () => {
  const total = [1, 2, 3].map(snapshot).reduce((t, s) => addHostCounts(t, s.host), NO_HOST_COUNTS);
  assert.deepEqual(total, {
    pageFaults: 600, majorPageFaults: 6, swapInPages: 12, swapOutPages: 18, zswapInPages: 24, zswapOutPages: 30, zswapWrittenBackPages: 6, oomKills: 1, compactionStalls: 6, kswapdWakes: 6, kswapdRunNs: 6e6,
  });
});

test('the report and /metrics give the same totals for the same snapshots', () => {
  const snapshots = [1, 2, 3].map(snapshot);
  const builder = new ReportBuilder(testMeta(), 'synthetic.flt');
  const metrics = new MetricsState();
  for (const s of snapshots) {
    builder.add(s);
    metrics.update(s);
  }
  const { report } = builder.finish({ frames: 3, snapshots: 3, bytesIgnoredAtEnd: 0, corruptFramesSkipped: 0, damage: [] });
  const faults = report.vms[0]!.faults;
  assert.deepEqual(faults, { minor: 60, major: 6, user: 48, kernel: 12, file: 18, guestRam: 30, eptFaults: 24 });
  assert.equal(report.host.swap.swapInPages, 12);
  assert.equal(report.host.swap.swapOutPages, 18);

  const text = metrics.render();
  const sample = (name: string): number => Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1]);
  const labels = 'vm="web01",uuid=""';
  for (const [type, key] of [['minor', 'minor'], ['major', 'major'], ['user', 'user'], ['kernel', 'kernel'], ['file', 'file'], ['guest_ram', 'guestRam']] as const) {
    assert.equal(sample(`faultline_vm_faults_total\\{${labels},type="${type}"\\}`), faults[key], type);
  }
  assert.equal(sample(`faultline_vm_ept_faults_total\\{${labels}\\}`), faults.eptFaults);
  assert.equal(sample('faultline_host_swap_in_pages_total'), report.host.swap.swapInPages);
  assert.equal(sample('faultline_host_swap_out_pages_total'), report.host.swap.swapOutPages);
  assert.equal(sample('faultline_host_page_faults_total'), 600);
  assert.equal(sample('faultline_host_kswapd_run_seconds_total'), 0.006);
});
