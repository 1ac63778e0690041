// The balloon rule (src/diagnose/balloon-rule.ts) on SYNTHETIC snapshots: the balloon
// findings come from the real detector (detectBalloon) over made-up guest-RAM
// histories, so the rule reads the detector's own words. Each reason is checked at
// its boundary (came down by half the inflate; ballooned no more than the memory that
// was never resident), the remedy in each manager's words, and the cases where the
// rule says nothing. The real counterpart: test/kernel/diagnosis-balloon.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding, Snapshot, VmSnapshot } from '../../src/model/snapshot.js';
import { balloonInflateOf, detectBalloon } from '../../src/detect/balloon.js';
import { balloonReason, balloonRule } from '../../src/diagnose/balloon-rule.js';
import { diagnose } from '../../src/diagnose/diagnose.js';
import { rowsBySubject } from '../../src/diagnose/rule-context.js';
import { DEFAULT_THRESHOLDS } from '../../src/diagnose/thresholds.js';
import { snapshotAt, vmRow } from '../detect/snapshots.js';
import { vmPointAt } from '../detect/synthetic.js';
import { frameToJson } from '../../src/proto/codec.js';

const MiB = 2 ** 20;
const T = DEFAULT_THRESHOLDS;

interface Inflate {
  memoryMiB: number;
  beforeMiB: number;
  balloonedMiB: number;
  lowestMiB: number;
  nowMiB: number;
}

/** The detector's finding on a 21 s history: guest RAM at `before` for 10 s, an
 * inflate over 10-11 s, guest RAM at `lowest` at 12-14 s and at `now` from 15 s. */
function findingOf(i: Inflate): Finding {
  const history = Array.from({ length: 21 }, (_, s) => vmPointAt(s * 1000, 1000, {
    memoryBytes: i.memoryMiB * MiB, guestRamKnown: true,
    guestRamBytes: (s < 11 ? i.beforeMiB : s < 15 ? i.lowestMiB : i.nowMiB) * MiB,
    balloonBytes: s === 10 || s === 11 ? (i.balloonedMiB / 2) * MiB : 0,
  }));
  return detectBalloon(history, {
    hostMemAvailableBytes: 8192 * MiB, hostMemTotalBytes: 16384 * MiB, psiMemSomeAvg10: 0,
    cgroupLimitBytes: 0, cgroupUsageBytes: 0, vmMemoryBytes: i.memoryMiB * MiB, lostEventsInWindow: 0,
  });
}

function vm(i: Inflate, fields: Partial<VmSnapshot> = {}): VmSnapshot {
  const base = vmRow({ id: '4242@7', pid: 4242 });
  return {
    ...base, kind: 'vm', name: 'web01', source: 'libvirt', comm: 'qemu-system-x86', memoryBytes: i.memoryMiB * MiB,
    rss: { ...base.rss, totalBytes: (i.nowMiB + 40) * MiB, anonBytes: (i.nowMiB + 30) * MiB, guestRamBytes: i.nowMiB * MiB, guestRamHugeBytes: 0 },
    findings: [findingOf(i)],
    ...fields,
  };
}

/** Ten 1 s snapshots of the row (and an idle process). */
function windowOf(row: VmSnapshot): Snapshot[] {
  return Array.from({ length: 10 }, (_, k) => snapshotAt(k, (k + 1) * 1000, 1000, [row, vmRow({ id: '99@1', pid: 99 })]));
}

const causes = (row: VmSnapshot) => diagnose(windowOf(row), T).causes.filter((c) => c.cause === 'balloon-no-return');

// 960 MiB VM, 640 MiB resident, a 320 MiB inflate: 320 MiB was never resident.
const NEVER: Inflate = { memoryMiB: 960, beforeMiB: 640, balloonedMiB: 320, lowestMiB: 640, nowMiB: 640 };

test('the detector\'s suspect finding carries its numbers: ballooned, before, now, lowest (exact, not as the message rounds them)', () => {
  const f = findingOf({ memoryMiB: 4096, beforeMiB: 3000, balloonedMiB: 1000, lowestMiB: 2400, nowMiB: 2900 });
  assert.equal(f.verdict, 'suspect', f.message);
  assert.deepEqual(balloonInflateOf(f), { balloonedBytes: 1000 * MiB, beforeBytes: 3000 * MiB, nowBytes: 2900 * MiB, lowestBytes: 2400 * MiB });
  assert.equal(balloonInflateOf({ ...f, verdict: 'ok' }), null);
  assert.equal(balloonInflateOf({ ...f, quantities: [] }), null, 'a finding without them (a recording made before)');
  // and they survive the wire
  const decoded = (frameToJson({ snapshot: snapshotAt(0, 1000, 1000, [{ ...vm(NEVER), findings: [f] }]) }) as { snapshot: Snapshot }).snapshot;
  assert.deepEqual(balloonInflateOf(decoded.vms[0]!.findings[0]!), balloonInflateOf(f));
});

test('an inflate the host got back (half or more) is no cause; the rule speaks only of suspect findings', () => {
  const half = { ...NEVER, lowestMiB: 480, nowMiB: 480 };
  assert.equal(findingOf(half).verdict, 'ok', 'returned exactly half: the detector\'s bar');
  assert.deepEqual(causes(vm(half)), []);
  const below = { ...NEVER, lowestMiB: 481, nowMiB: 481 };
  assert.equal(causes(vm(below)).length, 1);
});

test('never resident: ballooned up to the memory that was not resident, and guest RAM did not come down by half of it', () => {
  const c = causes(vm(NEVER));
  assert.equal(c.length, 1);
  assert.equal(c[0]!.severity, 'warning');
  assert.equal(c[0]!.subject, 'web01');
  assert.equal(c[0]!.subjectId, '4242@7');
  assert.equal(c[0]!.title, 'web01 (VM): a balloon inflate of 320 MiB gave the host back 0 B');
  assert.deepEqual(c[0]!.evidence, [
    'ballooned 320 MiB (madvise DONTNEED on guest RAM); resident guest RAM 640 MiB before, 640 MiB now, lowest 640 MiB since: 0 B returned',
    'configured 960 MiB: 320 MiB of it was not resident on the host before the inflate, room for all 320 MiB ballooned',
  ]);
  assert.equal(c[0]!.remedy, 'the guest gave back memory the host never backed, so ballooning web01 (VM) gains nothing: give it less memory instead, ' +
    'the 640 MiB it runs with now: `virsh setmaxmem web01 640M --config` (from its next boot); and free host memory elsewhere');
  // the boundaries of the reason, on the detector's numbers
  const reason = (i: Inflate) => balloonReason(balloonInflateOf(findingOf(i))!, i.memoryMiB * MiB);
  assert.equal(reason(NEVER), 'never-resident', 'ballooned = never resident');
  assert.equal(reason({ ...NEVER, beforeMiB: 641, lowestMiB: 641, nowMiB: 641 }), 'not-freed', '1 MiB more than was never resident');
  assert.equal(reason({ ...NEVER, lowestMiB: 481 }), 'never-resident', 'came down 159 MiB of 320: less than half');
  assert.equal(reason({ ...NEVER, lowestMiB: 480 }), 'came-back', 'came down by half, then back');
});

test('came back (balloon churn): the guest needs that memory, don\'t balloon it further; THP named when most guest RAM is on huge pages', () => {
  const churn: Inflate = { memoryMiB: 960, beforeMiB: 640, balloonedMiB: 320, lowestMiB: 400, nowMiB: 600 };
  const [c] = causes(vm(churn));
  assert.equal(c!.evidence[1], 'guest RAM came down 240 MiB, then rose 200 MiB again');
  assert.equal(c!.remedy, 'web01 (VM) touched the ballooned memory again: it needs it, don\'t balloon it further (`virsh setmem web01 960M --live` (deflate)); ' +
    'free host memory elsewhere, or migrate it to another host');
  assert.equal(c!.evidence.length, 2, 'no THP line without huge pages');
  const huge = (mib: number) => causes(vm(churn, { rss: { ...vm(churn).rss, guestRamHugeBytes: mib * MiB } }))[0]!.evidence;
  assert.equal(huge(299).length, 2, 'guest RAM in huge pages just under half of resident guest RAM (600 MiB)');
  assert.match(huge(300)[2]!, /^300 MiB of its 600 MiB resident guest RAM \(50%\) is in huge pages: .* khugepaged .*max_ptes_none/);
  // not freed at all though some pages must have been resident: churn too
  const [n] = causes(vm({ ...NEVER, beforeMiB: 800, lowestMiB: 800, nowMiB: 800 }));
  assert.equal(n!.evidence[1], 'configured 960 MiB: at most 160 MiB of the 320 MiB ballooned was not resident, yet guest RAM never came down by half of it');
  assert.match(n!.remedy, /touched the ballooned memory again/);
});

test('the remedy in the VM manager\'s words: Proxmox, plain QEMU', () => {
  const proxmox = causes(vm(NEVER, { source: 'proxmox', vmid: '101' }))[0]!;
  assert.match(proxmox.remedy, /`qm set 101 --memory 640` \(from its next start\)/);
  const plain = causes(vm(NEVER, { source: 'qemu' }))[0]!;
  assert.match(plain.remedy, /start it with `-m 640`/);
  const churn: Inflate = { ...NEVER, lowestMiB: 400 };
  assert.match(causes(vm(churn, { source: 'proxmox', vmid: '101' }))[0]!.remedy, /`qm set 101 --balloon 960` \(no ballooning below its memory\)/);
  assert.match(causes(vm(churn, { source: 'qemu' }))[0]!.remedy, /QMP `balloon 1006632960` \(deflate\)/);
});

test('nothing for an exited VM or a process; a finding without its numbers (a recording made before) still gives the cause, with the finding as evidence', () => {
  assert.deepEqual(causes(vm(NEVER, { exit: { atMs: 1, cause: 'exit', code: 0, signal: 0, faultsAtExit: false } })), []);
  assert.deepEqual(causes(vm(NEVER, { kind: 'process' })), []);
  const f = { ...findingOf(NEVER), message: 'balloon: reworded', fit: 0.25, quantities: [] };
  const [c] = causes(vm(NEVER, { findings: [f] }));
  assert.equal(c!.title, 'web01 (VM): a balloon inflate gave the host back less than half of it');
  assert.deepEqual(c!.evidence, ['balloon: balloon: reworded']);
  assert.match(c!.remedy, /^either the pages were never resident .*`virsh setmaxmem web01 SIZE --config`.*or the guest touched them again/);
  assert.equal(c!.score, 1.75);
});

test('ranked by how little came back: a score from 1 (all but half came back) to 2 (nothing did)', () => {
  const window = windowOf(vm(NEVER));
  const context = { window, last: window.at(-1)!, seconds: 10, bySubject: rowsBySubject(window) };
  assert.equal(balloonRule(context, T)[0]!.score, 2);
  const some = { ...NEVER, lowestMiB: 560, nowMiB: 560 };
  const w2 = windowOf(vm(some));
  assert.equal(balloonRule({ window: w2, last: w2.at(-1)!, seconds: 10, bySubject: rowsBySubject(w2) }, T)[0]!.score, 1.75);
});
