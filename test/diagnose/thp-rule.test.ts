// The THP rules (src/diagnose/thp-rule.ts) on synthetic snapshots (every number here is
// synthetic): a VM with little of its guest RAM in huge pages (thp-low) and a VM or
// process stalled in compaction (compaction-stall), each at its threshold and just past
// it; the remedies by THP mode, defrag mode and KSM; what is not judged. The real
// counterpart: test/kernel/diagnosis-ksm-thp.test.ts (a guest with THP and one without).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Snapshot } from '../../src/model/snapshot.js';
import { frameToJson } from '../../src/proto/codec.js';
import { diagnose } from '../../src/diagnose/diagnose.js';
import { DEFAULT_THRESHOLDS, thresholdsFrom } from '../../src/diagnose/thresholds.js';
import { syntheticSnapshots } from '../record/synthetic-snapshots.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const T = DEFAULT_THRESHOLDS;

interface WindowOptions {
  residentMiB?: number;
  hugeMiB: number;
  /** AnonHugePages of the whole process; default hugeMiB */
  anonHugeMiB?: number;
  thpEnabled?: string;
  thpDefrag?: string;
  ksmMergedPages?: number;
  /** compaction time of every snapshot, ns, for the VM and the process */
  vmCompactionNs?: number;
  processCompactionNs?: number;
  vmMemoryGiB?: number;
}

/** Ten idle 1 s snapshots of one VM and one process on a quiet 64 GiB host. */
function window(o: WindowOptions): Snapshot[] {
  return [...syntheticSnapshots({ vms: 1, processes: 1, snapshots: 10, activity: 'idle', seed: 13 })].map((s) => {
    const snapshot = (frameToJson({ snapshot: s }) as { snapshot: Snapshot }).snapshot;
    snapshot.host = {
      ...snapshot.host, memTotalBytes: 64 * GiB, memAvailableBytes: 40 * GiB, psiMemSomeAvg10: 0, psiMemFullAvg10: 0,
      thpEnabled: o.thpEnabled ?? 'madvise', thpDefrag: o.thpDefrag ?? 'madvise', ksmState: 'off',
    };
    snapshot.host.vmstat = { ...snapshot.host.vmstat, pswpin: 0, pswpout: 0, compactStall: 3 };
    snapshot.events = [];
    for (const v of snapshot.vms) {
      const vm = v.kind === 'vm';
      v.reclaim = { ...v.reclaim, stallNs: 0, compactionNs: (vm ? o.vmCompactionNs : o.processCompactionNs) ?? 0, compactionStalls: 2 };
      v.memoryBytes = vm ? (o.vmMemoryGiB ?? 8) * GiB : 0;
      v.cgroup = { ...v.cgroup, limitBytes: 0 };
      v.leak = { ...v.leak, verdict: 'ok' };
      v.findings = [];
      if (vm) {
        v.rss = { ...v.rss, guestRamBytes: (o.residentMiB ?? 2048) * MiB, guestRamHugeBytes: o.hugeMiB * MiB, anonHugeBytes: (o.anonHugeMiB ?? o.hugeMiB) * MiB };
        v.ksmMergedPages = o.ksmMergedPages ?? 0;
      }
    }
    return snapshot;
  });
}

const causesOf = (w: Snapshot[], t = T) => diagnose(w, t).causes.map((c) => `${c.cause} ${c.subject}`);
const vmOf = (w: Snapshot[]) => w.at(-1)!.vms.find((v) => v.kind === 'vm')!;
const processOf = (w: Snapshot[]) => w.at(-1)!.vms.find((v) => v.kind === 'process')!;

test('thp-low: below 50% of a VM\'s resident guest RAM in huge pages; at 50%, nothing', () => {
  assert.deepEqual(causesOf(window({ hugeMiB: 1024 })), []);
  const w = window({ hugeMiB: 1022 });
  const vm = vmOf(w);
  const d = diagnose(w, T);
  assert.deepEqual(d.causes.map((c) => `${c.severity} ${c.cause} ${c.subject}`), [`warning thp-low ${vm.name}`]);
  const c = d.causes[0]!;
  assert.equal(c.subjectId, vm.id);
  assert.equal(c.pid, vm.pid);
  assert.equal(c.title, `${vm.name} (VM) has 49.9% of its guest RAM in huge pages (below 50%)`);
  assert.deepEqual(c.evidence, ['guest RAM resident 2 GiB, 1022 MiB of it in huge pages; THP enabled madvise, defrag madvise']);
  // THP is on here: the remedy says where to look on this VM's process
  assert.match(c.remedy, new RegExp(`^THP is madvise here, yet ${vm.name}'s guest RAM is in small pages: \`grep THP_enabled /proc/${vm.pid}/status\``));
  // a speed cost: its score stays at most 1
  assert.ok(c.score > 0 && c.score <= 1, String(c.score));
  assert.ok(Math.abs(c.score - (50 - (100 * 1022) / 2048) / 50) < 1e-9);
});

test('thp-low: a VM with less than 1024 MiB of guest RAM resident is not judged; at 1024 MiB it is', () => {
  assert.deepEqual(causesOf(window({ residentMiB: 1023, hugeMiB: 0 })), []);
  const w = window({ residentMiB: 1024, hugeMiB: 0 });
  assert.deepEqual(causesOf(w), [`thp-low ${vmOf(w).name}`]);
  assert.deepEqual(causesOf(window({ residentMiB: 512, hugeMiB: 0 }), thresholdsFrom({ thpMinGuestRamMiB: 512 }, 't.json')).map((c) => c.split(' ')[0]), ['thp-low']);
});

test('thp-low: turned off with thpGuestRamHugeWarningPct 0; not judged without the THP mode, for processes, or without a guest-RAM count', () => {
  assert.deepEqual(causesOf(window({ hugeMiB: 0 }), thresholdsFrom({ thpGuestRamHugeWarningPct: 0 }, 't.json')), [], 'turned off');
  assert.deepEqual(causesOf(window({ hugeMiB: 0, thpEnabled: '' })), [], 'THP mode unknown (no THP on the host, or an older recording)');
  // huge pages in the process but none counted in guest RAM: a recording made before
  // guest RAM's own were read
  assert.deepEqual(causesOf(window({ hugeMiB: 0, anonHugeMiB: 2048 })), []);
  // a process has no guest RAM: never a thp-low cause (its rss here is the synthetic one)
  const w = window({ hugeMiB: 0 });
  for (const s of w) for (const v of s.vms) if (v.kind === 'process') v.rss = { ...v.rss, guestRamBytes: 4 * GiB, guestRamHugeBytes: 0, anonHugeBytes: 0 };
  assert.deepEqual(causesOf(w), [`thp-low ${vmOf(w).name}`]);
});

test('thp-low remedies: THP never -> madvise; KSM merged most of the small pages -> keep KSM off this VM', () => {
  const never = window({ hugeMiB: 0, thpEnabled: 'never' });
  const c = diagnose(never, T).causes[0]!;
  assert.equal(c.cause, 'thp-low');
  assert.equal(c.title, `${vmOf(never).name} (VM) has 0% of its guest RAM in huge pages (below 50%)`);
  assert.match(c.evidence[0]!, /THP enabled never, defrag madvise$/);
  assert.match(c.remedy, /^THP is off on this host: `echo madvise > \/sys\/kernel\/mm\/transparent_hugepage\/enabled` \(QEMU madvises guest RAM/);
  assert.equal(c.score, 1);
  // KSM merged 1.5 GiB of the 2 GiB in small pages: KSM split them (synthetic VMs are libvirt's)
  const merged = window({ hugeMiB: 0, ksmMergedPages: (1536 * MiB) / 4096 });
  const k = diagnose(merged, T).causes[0]!;
  assert.deepEqual(k.evidence.slice(1), ['KSM merged 1.5 GiB of its memory (merging splits huge pages)']);
  assert.match(k.remedy, new RegExp(`^KSM merged 1.5 GiB of it, and merging splits huge pages: .*<memoryBacking><nosharepages/></memoryBacking>\` in ${vmOf(merged).name}'s domain XML`));
  // KSM merged a little: not the reason
  const little = diagnose(window({ hugeMiB: 0, ksmMergedPages: (512 * MiB) / 4096 }), T).causes[0]!;
  assert.match(little.remedy, /^THP is madvise here/);
});

test('thp-low ranks after overcommit: a speed cost, not a memory shortage', () => {
  const w = window({ hugeMiB: 0, vmMemoryGiB: 80 });
  assert.deepEqual(causesOf(w), ['overcommit host', `thp-low ${vmOf(w).name}`]);
});

test('compaction-stall: above 10 ms per second of the window in compaction; at 10, nothing', () => {
  // 10 snapshots of 1 s: 10 ms each is 10 ms/s
  assert.deepEqual(causesOf(window({ hugeMiB: 2048, vmCompactionNs: 10e6 })), []);
  const w = window({ hugeMiB: 2048, vmCompactionNs: 10.1e6, thpDefrag: 'always' });
  const vm = vmOf(w);
  const d = diagnose(w, T);
  assert.deepEqual(d.causes.map((c) => `${c.severity} ${c.cause} ${c.subject}`), [`warning compaction-stall ${vm.name}`]);
  const c = d.causes[0]!;
  assert.equal(c.title, `${vm.name} (VM) stalled in memory compaction 10 ms per second (above 10)`);
  assert.deepEqual(c.evidence, ['20 compaction runs, 101 ms in all over 10 s; host-wide 30 compaction stalls (compact_stall) and 48 huge pages allocated at fault (thp_fault_alloc, /proc/vmstat)', 'THP enabled madvise, defrag always']);
  // defrag always: madvise would not spare a VM (QEMU madvises guest RAM): defer
  assert.match(c.remedy, /^set THP defrag to defer, `echo defer > \/sys\/kernel\/mm\/transparent_hugepage\/defrag`/);
  assert.ok(Math.abs(c.score - 1.01) < 1e-9);
});

test('compaction-stall remedies by defrag mode and who stalls; kcompactd is never a cause', () => {
  const remedyOf = (defrag: string, who: 'vm' | 'process'): string => {
    const w = window({ hugeMiB: 2048, thpDefrag: defrag, [who === 'vm' ? 'vmCompactionNs' : 'processCompactionNs']: 50e6 });
    const c = diagnose(w, T).causes.find((x) => x.cause === 'compaction-stall')!;
    assert.equal(c.pid, (who === 'vm' ? vmOf(w) : processOf(w)).pid);
    return c.remedy;
  };
  assert.match(remedyOf('always', 'process'), /^set THP defrag to madvise \(`echo madvise > /);
  assert.match(remedyOf('madvise', 'vm'), /^set THP defrag to defer, .*\(madvise lets guest RAM, which QEMU madvises, compact in the fault\)$/);
  assert.match(remedyOf('defer+madvise', 'process'), /^set THP defrag to defer, .*\(defer\+madvise lets memory that asked for huge pages compact in the fault\)$/);
  assert.match(remedyOf('defer', 'vm'), /^THP defrag is defer, so these are other high-order allocations \(large page-cache folios, network buffers, kernel stacks\) finding memory fragmented: `echo 1 > \/proc\/sys\/vm\/compact_memory`/);
  // no huge page allocated at fault in the window, none held by the process: not THP,
  // whatever the defrag mode (a process reading files through the page cache)
  const noThp = window({ hugeMiB: 2048, thpDefrag: 'madvise', processCompactionNs: 50e6 }).map((s) => ({ ...s, host: { ...s.host, vmstat: { ...s.host.vmstat, thpFaultAlloc: 0 } } }));
  for (const s of noThp) for (const v of s.vms) if (v.kind === 'process') v.rss = { ...v.rss, anonHugeBytes: 0 };
  const other = diagnose(noThp, T).causes.find((x) => x.cause === 'compaction-stall')!;
  assert.match(other.remedy, /^no huge page was allocated at fault in the window and \S+ holds none, so these are other high-order allocations .*compact_memory/);
  assert.match(other.evidence[0]!, / and 0 huge pages allocated at fault /);
  const kcompactd = window({ hugeMiB: 2048, processCompactionNs: 500e6 });
  for (const s of kcompactd) for (const v of s.vms) if (v.kind === 'process') v.comm = 'kcompactd0';
  assert.deepEqual(causesOf(kcompactd), []);
  assert.deepEqual(causesOf(window({ hugeMiB: 2048, vmCompactionNs: 50e6 }), thresholdsFrom({ compactionStallWarningMsPerSec: 50 }, 't.json')), [], 'at a raised threshold');
});
