// MetricsState: the exact Prometheus text for made-up snapshots (SYNTHETIC: rows from
// test/detect/snapshots.ts with the fields each test sets), counters that add up intervals, gauges of the latest
// snapshot only, the stall histogram, escaping, and series that go away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsState } from '../../src/serve/metrics.js';
import { boundIndex, STALL_BOUNDS_NS } from '../../src/serve/metrics-histogram.js';
import { escapeLabelValue } from '../../src/serve/metrics-format.js';
import type { FaultlineEvent, ProbeGroupStatus, Snapshot, VmSnapshot } from '../../src/model/snapshot.js';
import { vmRow as baseRow } from '../detect/snapshots.js';

const MiB = 2 ** 20;

function vmRow(name: string, fields: Partial<VmSnapshot> = {}): VmSnapshot {
  return baseRow({
    id: `100@1`, kind: 'vm', name, pid: 100, source: 'libvirt', comm: 'qemu-system-x86', memoryBytes: 512 * MiB,
    rss: { totalBytes: 300 * MiB, anonBytes: 280 * MiB, fileBytes: 20 * MiB, shmemBytes: 0, swapBytes: 0, guestRamBytes: 256 * MiB, ownAnonBytes: 24 * MiB, anonHugeBytes: 0, guestRamHugeBytes: 0 },
    faults: { minor: 0, major: 0, user: 0, kernel: 0, file: 0, guestRam: 0, guestRamSource: 'kvm', fileSource: 'probe' },
    ...fields,
  });
}

function group(name: string, fields: Partial<ProbeGroupStatus> = {}): ProbeGroupStatus {
  return { group: name, attached: true, error: '', lostEvents: 0, badLines: 0, points: [], sharesProcessWith: [], ownProcessReason: '', ...fields };
}

function snapshot(seq: number, vms: VmSnapshot[], fields: Partial<Snapshot> = {}): Snapshot {
  return {
    seq, timeMs: 1_700_000_000_000 + seq * 1000, intervalMs: 1000,
    host: {
      memTotalBytes: 8192 * MiB, memAvailableBytes: 4096 * MiB, memFreeBytes: 1024 * MiB, cachedBytes: 0,
      swapTotalBytes: 0, swapUsedBytes: 0, zswapBytes: 0, zswappedBytes: 0, hugetlbBytes: 0, hugetlbFreeBytes: 0, hugepageSizeBytes: 2097152, slabReclaimableBytes: 0, slabUnreclaimableBytes: 0, anonHugePagesBytes: 0,
      psiMemSomeAvg10: 0.5, psiMemFullAvg10: -1,
      vmstat: { pgfault: 1000, pgmajfault: 2, pswpin: 0, pswpout: 0, pgscanDirect: 0, pgscanKswapd: 0, pgstealDirect: 0, pgstealKswapd: 0, compactStall: 0, oomKill: 0, thpFaultAlloc: 0, zswpin: 0, zswpout: 0, zswpwb: 0 },
      kswapdWakes: 0, kswapdRunNs: 0, lruPagesReclaimed: 0, compactionStalls: 0, compactionNs: 0, mmuNotifierUnattributed: 0, mmuNotifierAmbiguous: 0,
      ksmState: '', ksmPagesSharing: 0, ksmPagesShared: 0, ksmdCpuMs: 0, thpEnabled: '', thpDefrag: '', limitedCgroups: [], numaNodes: [], findings: [],
    },
    probes: { attached: ['faults'], groups: [group('faults')], lostEvents: 0, badLines: 0, guestFaultSource: 'kvm', bpftraceVersion: '0.17.0', costs: [] },
    vms, events: [], diagnosis: null,
    ...fields,
  };
}

function event(fields: Partial<FaultlineEvent>): FaultlineEvent {
  return { type: 'oom-kill', timeMs: 0, pid: 0, vmId: '', comm: '', message: '', anonRssBytes: 0, fileRssBytes: 0, shmemRssBytes: 0, durationNs: 0, count: 0, group: '', ...fields };
}

/** The lines of one family (HELP, TYPE, samples) from a rendering. */
function familyLines(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`# HELP ${name} `) || l.startsWith(`# TYPE ${name} `) || l.startsWith(`${name}{`) || l.startsWith(`${name} `) || l.startsWith(`${name}_bucket{`) || l.startsWith(`${name}_sum`) || l.startsWith(`${name}_count`));
}

test('one VM, one interval: the exact text of the per-VM families', () => {
  const state = new MetricsState();
  state.update(snapshot(0, [vmRow('web-1', {
    uuid: '6f1c2a4e-0000-4000-8000-000000000001',
    faults: { minor: 120, major: 3, user: 96, kernel: 16, file: 0, guestRam: 0, guestRamSource: 'kvm', fileSource: 'probe' },
    kvm: { eptFaults: 42, asyncPf: 0, asyncPfNotPresent: 0, asyncPfReady: 0, mmuNotifier: 0, mmuNotifierBytes: 0, exits: [], map4k: 0, map2m: 0, map1g: 0 },
  })]));
  const text = state.render();
  const vm = 'vm="web-1",uuid="6f1c2a4e-0000-4000-8000-000000000001"';
  assert.deepEqual(familyLines(text, 'faultline_vm_info'), [
    '# HELP faultline_vm_info A VM (kind="vm", a QEMU process) or host process faultline reports; always 1. Join on vm, uuid.',
    '# TYPE faultline_vm_info gauge',
    `faultline_vm_info{${vm},source="libvirt",vmid="",kind="vm"} 1`,
  ]);
  assert.deepEqual(familyLines(text, 'faultline_vm_rss_bytes').slice(1), [
    '# TYPE faultline_vm_rss_bytes gauge',
    `faultline_vm_rss_bytes{${vm},kind="guest_ram"} 268435456`,
    `faultline_vm_rss_bytes{${vm},kind="own_anon"} 25165824`,
    `faultline_vm_rss_bytes{${vm},kind="file"} 20971520`,
    `faultline_vm_rss_bytes{${vm},kind="shmem"} 0`,
    `faultline_vm_rss_bytes{${vm},kind="swap"} 0`,
    `faultline_vm_rss_bytes{${vm},kind="total"} 314572800`,
  ]);
  assert.deepEqual(familyLines(text, 'faultline_vm_faults_total').slice(2), [
    `faultline_vm_faults_total{${vm},type="minor"} 120`,
    `faultline_vm_faults_total{${vm},type="major"} 3`,
    `faultline_vm_faults_total{${vm},type="user"} 96`,
    `faultline_vm_faults_total{${vm},type="kernel"} 16`,
    `faultline_vm_faults_total{${vm},type="file"} 0`,
    `faultline_vm_faults_total{${vm},type="guest_ram"} 0`,
  ]);
  assert.deepEqual(familyLines(text, 'faultline_vm_ept_faults_total'), [
    '# HELP faultline_vm_ept_faults_total NPT/EPT faults (kvm:kvm_page_fault; AMD NPT, Intel EPT violations): guest accesses to guest RAM KVM had not mapped.',
    '# TYPE faultline_vm_ept_faults_total counter',
    `faultline_vm_ept_faults_total{${vm}} 42`,
  ]);
  // not judged yet: unknown, never a measured 0
  assert.deepEqual(familyLines(text, 'faultline_vm_leak_suspect').slice(1), ['# TYPE faultline_vm_leak_suspect gauge', `faultline_vm_leak_suspect{${vm}} NaN`]);
  assert.deepEqual(familyLines(text, 'faultline_vm_oom_kills_total').slice(1), ['# TYPE faultline_vm_oom_kills_total counter', `faultline_vm_oom_kills_total{${vm}} 0`]);
  assert.ok(text.endsWith('\n'));
  assert.ok(!/pid=|address=/.test(text), 'no pid or address labels');
});

test('the whole rendering is well-formed 0.0.4: HELP then TYPE once per family, samples in one block, no duplicate series', () => {
  const state = new MetricsState();
  state.update(snapshot(0, [vmRow('a'), vmRow('b', { id: '200@1', pid: 200 })], {
    probes: { attached: ['faults'], groups: [group('faults'), group('kvm', { attached: false, error: 'no tracepoint' })], lostEvents: 0, badLines: 0, guestFaultSource: 'kvm', bpftraceVersion: '0.17.0',
      costs: [{ group: 'faults', program: 'tracepoint:page_fault_user', nsPerEvent: 70.5, eventsPerSec: 1200 }] },
  }));
  const lines = state.render().trimEnd().split('\n');
  const seenFamilies = new Set<string>();
  const seenSeries = new Set<string>();
  let current = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const help = line.match(/^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S/);
    if (help) {
      assert.ok(!seenFamilies.has(help[1]!), `family ${help[1]} appears twice`);
      seenFamilies.add(help[1]!);
      current = help[1]!;
      assert.match(lines[i + 1]!, new RegExp(`^# TYPE ${current} (counter|gauge|histogram)$`));
      i += 1;
      continue;
    }
    const sample = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*\})? (-?[0-9.e+]+|NaN|[+-]Inf)$/);
    assert.ok(sample, `not a sample line: ${line}`);
    assert.ok(sample[1]!.startsWith(current), `${sample[1]} outside its family block ${current}`);
    assert.ok(!seenSeries.has(`${sample[1]}${sample[2] ?? ''}`), `duplicate series ${line}`);
    seenSeries.add(`${sample[1]}${sample[2] ?? ''}`);
  }
  assert.ok(seenSeries.has('faultline_probe_attached{group="kvm"}'));
  assert.ok(seenSeries.has('faultline_probe_ns_per_event{group="faults",program="tracepoint:page_fault_user"}'));
});

test('counters add up intervals, gauges are the latest snapshot', () => {
  const state = new MetricsState();
  const faults = (minor: number): VmSnapshot['faults'] => ({ minor, major: 0, user: 0, kernel: 0, file: 0, guestRam: 0, guestRamSource: 'kvm', fileSource: 'probe' });
  state.update(snapshot(0, [vmRow('a', { faults: faults(10) })]));
  state.update(snapshot(1, [vmRow('a', { faults: faults(5), rss: { ...vmRow('a').rss, totalBytes: 400 * MiB } })]));
  const text = state.render();
  assert.match(text, /^faultline_vm_faults_total\{vm="a",uuid="",type="minor"\} 15$/m);
  assert.match(text, /^faultline_vm_rss_bytes\{vm="a",uuid="",kind="total"\} 419430400$/m);
  assert.match(text, /^faultline_host_page_faults_total 2000$/m);
  assert.match(text, /^faultline_host_memory_available_bytes 4294967296$/m);
  assert.match(text, /^faultline_snapshots_total 2$/m);
  assert.match(text, /^faultline_last_snapshot_timestamp_seconds 1700000001$/m);
  assert.doesNotMatch(text, /faultline_host_psi_memory_full_avg10/, 'a missing PSI (-1) exports nothing');
});

test('reclaim stalls: log2 buckets fold into fixed cumulative le buckets, _sum in seconds, _count', () => {
  assert.equal(STALL_BOUNDS_NS[0], 1024);
  assert.equal(boundIndex(0), 0); // [0, 1)
  assert.equal(boundIndex(512), 0); // [512, 1024) fits under 1024
  assert.equal(boundIndex(1024), 1); // [1024, 2048) needs le 4096
  assert.equal(boundIndex(2 ** 40), STALL_BOUNDS_NS.length); // +Inf
  const state = new MetricsState();
  const reclaim = (hist: { lowNs: number; count: number }[], stallNs: number): VmSnapshot['reclaim'] => ({
    stalls: hist.reduce((s, b) => s + b.count, 0), stallNs, directStalls: 0, memcgStalls: 0, maxStallNs: 0, stallHistogram: hist, pagesReclaimed: 0, compactionStalls: 0, compactionNs: 0,
  });
  state.update(snapshot(0, [vmRow('a', { reclaim: reclaim([{ lowNs: 8192, count: 3 }, { lowNs: 2 ** 20, count: 1 }], 2_000_000) })]));
  state.update(snapshot(1, [vmRow('a', { reclaim: reclaim([{ lowNs: 8192, count: 1 }], 10_000) })]));
  const lines = familyLines(state.render(), 'faultline_vm_reclaim_stall_seconds');
  assert.equal(lines[1], '# TYPE faultline_vm_reclaim_stall_seconds histogram');
  assert.deepEqual(lines.slice(2), [
    'faultline_vm_reclaim_stall_seconds_bucket{vm="a",uuid="",le="0.000001024"} 0',
    'faultline_vm_reclaim_stall_seconds_bucket{vm="a",uuid="",le="0.000004096"} 0',
    'faultline_vm_reclaim_stall_seconds_bucket{vm="a",uuid="",le="0.000016384"} 4',
    'faultline_vm_reclaim_stall_seconds_bucket{vm="a",uuid="",le="0.000065536"} 4',
    'faultline_vm_reclaim_stall_seconds_bucket{vm="a",uuid="",le="0.000262144"} 4',
    'faultline_vm_reclaim_stall_seconds_bucket{vm="a",uuid="",le="0.001048576"} 4',
    'faultline_vm_reclaim_stall_seconds_bucket{vm="a",uuid="",le="0.004194304"} 5',
    'faultline_vm_reclaim_stall_seconds_bucket{vm="a",uuid="",le="0.016777216"} 5',
    'faultline_vm_reclaim_stall_seconds_bucket{vm="a",uuid="",le="0.067108864"} 5',
    'faultline_vm_reclaim_stall_seconds_bucket{vm="a",uuid="",le="0.268435456"} 5',
    'faultline_vm_reclaim_stall_seconds_bucket{vm="a",uuid="",le="1.073741824"} 5',
    'faultline_vm_reclaim_stall_seconds_bucket{vm="a",uuid="",le="4.294967296"} 5',
    'faultline_vm_reclaim_stall_seconds_bucket{vm="a",uuid="",le="17.179869184"} 5',
    'faultline_vm_reclaim_stall_seconds_bucket{vm="a",uuid="",le="+Inf"} 5',
    'faultline_vm_reclaim_stall_seconds_sum{vm="a",uuid=""} 0.00201',
    'faultline_vm_reclaim_stall_seconds_count{vm="a",uuid=""} 5',
  ]);
});

test('label values are escaped: backslash, double quote, line feed', () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  const state = new MetricsState();
  state.update(snapshot(0, [vmRow('we"ird\\name\nx')]));
  assert.match(state.render(), /^faultline_vm_ept_faults_total\{vm="we\\"ird\\\\name\\nx",uuid=""\} 0$/m);
});

test('a VM that leaves: gauges go at once, counters stay until stale, then everything goes', () => {
  const state = new MetricsState({ staleAfterMs: 5000 });
  state.update(snapshot(0, [vmRow('a', { leak: { verdict: 'suspect', growthBytesPerSec: 1, windowMs: 1, fit: 1 } }), vmRow('b', { id: '200@1' })]));
  assert.match(state.render(), /^faultline_vm_leak_suspect\{vm="a",uuid=""\} 1$/m);
  assert.match(state.render(), /^faultline_vm_leak_suspect\{vm="b",uuid=""\} NaN$/m);
  const judgedOk = new MetricsState();
  judgedOk.update(snapshot(0, [vmRow('c', { leak: { verdict: 'ok', growthBytesPerSec: 0, windowMs: 600_000, fit: 0 } })]));
  assert.match(judgedOk.render(), /^faultline_vm_leak_suspect\{vm="c",uuid=""\} 0$/m);
  state.update(snapshot(1, [vmRow('b', { id: '200@1' })]));
  let text = state.render();
  assert.doesNotMatch(text, /faultline_vm_rss_bytes\{vm="a"/);
  assert.match(text, /^faultline_vm_faults_total\{vm="a",uuid="",type="minor"\} 0$/m);
  assert.match(text, /^faultline_vm_info\{vm="a",uuid="",source="libvirt",vmid="",kind="vm"\} 1$/m);
  state.update(snapshot(7, [vmRow('b', { id: '200@1' })]));
  text = state.render();
  assert.doesNotMatch(text, /vm="a"/);
  assert.match(text, /^faultline_vm_series 1$/m);
  assert.match(text, /^faultline_vm_series_dropped_total 1$/m);
});

test('at most maxSeries series: host processes go before VMs, oldest first', () => {
  const state = new MetricsState({ maxSeries: 2 });
  state.update(snapshot(0, [vmRow('vm-old', { id: '1@1' })]));
  state.update(snapshot(1, [vmRow('proc', { id: '2@1', kind: 'process', source: 'process' }), vmRow('vm-new', { id: '3@1' })]));
  const text = state.render();
  assert.match(text, /vm="vm-old"/);
  assert.match(text, /vm="vm-new"/);
  assert.doesNotMatch(text, /vm="proc"/);
  assert.equal(state.seriesCount(), 2);
});

test('host processes of the same name are two series, told apart by process="PID@START"; a VM keeps {vm, uuid}', () => {
  const state = new MetricsState();
  state.update(snapshot(0, [
    vmRow('node', { id: '10@1', kind: 'process', source: 'process', memoryBytes: 0 }),
    vmRow('node', { id: '11@1', kind: 'process', source: 'process', memoryBytes: 0 }),
    vmRow('web-1', { id: '12@1' }),
  ]));
  const text = state.render();
  assert.match(text, /^faultline_vm_rss_bytes\{vm="node",uuid="",process="10@1",kind="total"\} 314572800$/m);
  assert.match(text, /^faultline_vm_rss_bytes\{vm="node",uuid="",process="11@1",kind="total"\} 314572800$/m);
  assert.match(text, /^faultline_vm_rss_bytes\{vm="web-1",uuid="",kind="total"\} 314572800$/m);
  assert.equal(state.seriesCount(), 3);
});

test('the diagnosis: health status 0/1/2 and one series per current cause', () => {
  const state = new MetricsState();
  state.update(snapshot(0, []));
  assert.doesNotMatch(state.render(), /^faultline_health_status /m, 'no diagnosis (an old recording): no status');
  const cause = { cause: 'oom-kill', severity: 'critical' as const, subject: 'hog', subjectId: '7@1', pid: 7, title: 't', evidence: [], remedy: 'r', score: 10 };
  state.update(snapshot(1, [], { diagnosis: { status: 'critical', headline: 'critical: t', causes: [cause, cause], window: { fromMs: 0, toMs: 1, snapshots: 1 } } }));
  const text = state.render();
  assert.match(text, /^faultline_health_status 2$/m);
  assert.equal(text.match(/^faultline_diagnosis_cause\{/gm)?.length, 1, 'two OOM kills of one subject: one series');
  assert.match(text, /^faultline_diagnosis_cause\{cause="oom-kill",severity="critical",subject="hog",subject_id="7@1"\} 1$/m);
  state.update(snapshot(2, [], { diagnosis: { status: 'healthy', headline: 'healthy', causes: [], window: { fromMs: 0, toMs: 1, snapshots: 1 } } }));
  assert.match(state.render(), /^faultline_health_status 0$/m);
  assert.doesNotMatch(state.render(), /^faultline_diagnosis_cause\{/m);
});

test('an OOM kill counts for its VM, even when the VM row is already gone', () => {
  const state = new MetricsState();
  state.update(snapshot(0, [vmRow('victim', { id: '300@9' })]));
  state.update(snapshot(1, [], { events: [event({ type: 'oom-kill', vmId: '300@9', pid: 300 }), event({ type: 'oom-kill', vmId: 'unknown@1' })] }));
  assert.match(state.render(), /^faultline_vm_oom_kills_total\{vm="victim",uuid=""\} 1$/m);
});

test('probe self metrics: attached, lost events and bad lines survive a probe restart', () => {
  const state = new MetricsState();
  const probes = (lost: number, bad: number, attached = true): Snapshot['probes'] => ({
    attached: attached ? ['faults'] : [], groups: [group('faults', { attached, lostEvents: lost, badLines: bad })],
    lostEvents: 0, badLines: 0, guestFaultSource: 'none', bpftraceVersion: '0.17.0', costs: [],
  });
  state.update(snapshot(0, [], { probes: probes(10, 1) }));
  state.update(snapshot(1, [], { probes: probes(15, 1, false) }));
  state.update(snapshot(2, [], { probes: probes(4, 0) })); // restarted: totals from 0 again
  const text = state.render();
  assert.match(text, /^faultline_probe_lost_events_total\{group="faults"\} 19$/m);
  assert.match(text, /^faultline_probe_bad_lines_total\{group="faults"\} 1$/m);
  assert.match(text, /^faultline_probe_attached\{group="faults"\} 1$/m);
  assert.doesNotMatch(text, /faultline_probe_ns_per_event/, 'no costs, no cost series');
});

test('nothing yet: only the self metrics', () => {
  const text = new MetricsState().render();
  assert.equal(text, [
    '# HELP faultline_vm_series VM and process series faultline is exporting.',
    '# TYPE faultline_vm_series gauge',
    'faultline_vm_series 0',
    '# HELP faultline_vm_series_dropped_total Series dropped because their VM or process was gone for a while, or over the cap.',
    '# TYPE faultline_vm_series_dropped_total counter',
    'faultline_vm_series_dropped_total 0',
    '# HELP faultline_snapshots_total Snapshots taken since faultline started.',
    '# TYPE faultline_snapshots_total counter',
    'faultline_snapshots_total 0',
    '',
  ].join('\n'));
});

test('the guest\'s own view (libvirt VMs): balloon, guest meminfo and swap counters; figures the guest does not report are left out', () => {
  const guest = {
    balloonCurrentBytes: 191 * MiB, balloonMaximumBytes: 256 * MiB, memTotalBytes: 218 * MiB, memFreeBytes: 13 * MiB, memAvailableBytes: 16 * MiB,
    diskCachesBytes: 116 * MiB, swapInBytes: 4096, swapOutBytes: 8192, majorFaults: 0, minorFaults: 18391, swapInPagesPerSec: 0, swapOutPagesPerSec: 0,
    guestUpdatedMs: 1_700_000_000_000, readAtMs: 1_700_000_000_500,
  };
  const state = new MetricsState();
  state.update(snapshot(0, [
    vmRow('web-1', { uuid: 'u1', guestMemory: guest }),
    // a guest that reports nothing (no stats period): its balloon only
    vmRow('web-2', { id: '101@1', pid: 101, uuid: 'u2', guestMemory: { ...guest, memAvailableBytes: -1, memFreeBytes: -1, memTotalBytes: -1, swapInBytes: -1, swapOutBytes: -1, guestUpdatedMs: 0 } }),
    // a guest without MemAvailable (before Linux 4.16)
    vmRow('web-3', { id: '102@1', pid: 102, uuid: 'u3', guestMemory: { ...guest, memAvailableBytes: -1 } }),
    vmRow('plain', { id: '103@1', pid: 103, uuid: 'u4' }),
  ]));
  const text = state.render();
  assert.deepEqual(familyLines(text, 'faultline_vm_balloon_bytes'), [
    '# HELP faultline_vm_balloon_bytes A libvirt VM\'s balloon (virsh domstats --balloon): current (what the guest has now) and maximum (<memory>).',
    '# TYPE faultline_vm_balloon_bytes gauge',
    `faultline_vm_balloon_bytes{vm="web-1",uuid="u1",kind="current"} ${191 * MiB}`,
    `faultline_vm_balloon_bytes{vm="web-1",uuid="u1",kind="maximum"} ${256 * MiB}`,
    `faultline_vm_balloon_bytes{vm="web-2",uuid="u2",kind="current"} ${191 * MiB}`,
    `faultline_vm_balloon_bytes{vm="web-2",uuid="u2",kind="maximum"} ${256 * MiB}`,
    `faultline_vm_balloon_bytes{vm="web-3",uuid="u3",kind="current"} ${191 * MiB}`,
    `faultline_vm_balloon_bytes{vm="web-3",uuid="u3",kind="maximum"} ${256 * MiB}`,
  ]);
  assert.deepEqual(familyLines(text, 'faultline_vm_guest_memory_bytes').slice(1), [
    '# TYPE faultline_vm_guest_memory_bytes gauge',
    `faultline_vm_guest_memory_bytes{vm="web-1",uuid="u1",kind="mem_total"} ${218 * MiB}`,
    `faultline_vm_guest_memory_bytes{vm="web-1",uuid="u1",kind="mem_free"} ${13 * MiB}`,
    `faultline_vm_guest_memory_bytes{vm="web-1",uuid="u1",kind="mem_available"} ${16 * MiB}`,
    `faultline_vm_guest_memory_bytes{vm="web-3",uuid="u3",kind="mem_total"} ${218 * MiB}`,
    `faultline_vm_guest_memory_bytes{vm="web-3",uuid="u3",kind="mem_free"} ${13 * MiB}`,
  ]);
  assert.deepEqual(familyLines(text, 'faultline_vm_guest_swap_in_bytes_total').slice(1), [
    '# TYPE faultline_vm_guest_swap_in_bytes_total counter',
    'faultline_vm_guest_swap_in_bytes_total{vm="web-1",uuid="u1"} 4096',
    'faultline_vm_guest_swap_in_bytes_total{vm="web-3",uuid="u3"} 4096',
  ]);
  assert.deepEqual(familyLines(text, 'faultline_vm_guest_swap_out_bytes_total').slice(2), [
    'faultline_vm_guest_swap_out_bytes_total{vm="web-1",uuid="u1"} 8192',
    'faultline_vm_guest_swap_out_bytes_total{vm="web-3",uuid="u3"} 8192',
  ]);
  // the next snapshot without a reading: the guest's series go with it
  state.update(snapshot(1, [vmRow('web-1', { uuid: 'u1' })]));
  assert.deepEqual(familyLines(state.render(), 'faultline_vm_balloon_bytes'), []);
});
