// KSM and THP on two real guests, `faultline live --json` on this machine as root.
// Two identical TCG guests (the harness's kernel and initramfs, nokaslr, each writing
// 64 MiB of zeros into its tmpfs), each configured with 55% of MemTotal so together
// they overcommit the host (only what they touch is resident); one runs with THP (the
// host's mode is madvise and QEMU madvises guest RAM), the other with THP disabled for
// its process (prctl PR_SET_THP_DISABLE, the harness's nothp helper).
// - KSM off: overcommit is the first cause and its remedy says to turn KSM on; the
//   guest without THP is named by thp-low (thresholds file: thpMinGuestRamMiB 256, as
//   these guests hold ~500 MiB; with the defaults nobody is named); the guest with THP
//   is not. Guest RAM in huge pages against AnonHugePages of the guest-RAM mapping in
//   /proc/PID/smaps, read by this test.
// - KSM on (scanning fast for the test): pages_sharing > 0; each VM's merged pages
//   against /proc/PID/ksm_stat ksm_merging_pages, and the overcommit evidence's
//   pages_sharing against /sys/kernel/mm/ksm/pages_sharing, within 1% (both move a
//   little as the idle guests touch pages: +-60 pages of ~120,000 here). KSM split the
//   THP guest's huge pages to merge them: thp-low now names it too, blaming KSM.
// Guests are stopped by pid; the KSM settings are put back as they were.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kernelGate } from '../harness/kernel-gate.js';
import { startLive, type LiveRun } from '../harness/faultline-live.js';
import { startGuest, type Guest } from '../harness/qemu-guest.js';
import type { Cause, Snapshot, VmSnapshot } from '../../src/model/snapshot.js';
import { diagnose } from '../../src/diagnose/diagnose.js';
import { DEFAULT_THRESHOLDS } from '../../src/diagnose/thresholds.js';

const skip = kernelGate({ qemu: true });
const MiB = 2 ** 20;
const KSM = '/sys/kernel/mm/ksm';
const KSM_KNOBS = ['run', 'pages_to_scan', 'sleep_millisecs'] as const;
const ksm = (name: string): string => readFileSync(`${KSM}/${name}`, 'utf8').trim();
const ksmBefore = skip ? null : Object.fromEntries(KSM_KNOBS.map((k) => [k, ksm(k)]));
const guests: Guest[] = [];
let live: LiveRun | null = null;
const dir = mkdtempSync(join(tmpdir(), 'faultline-ksm-thp-'));

after(async () => {
  await live?.stop();
  await Promise.all(guests.map((g) => g.stop()));
  // run first (stops ksmd), then its pace
  if (ksmBefore) for (const k of KSM_KNOBS) writeFileSync(`${KSM}/${k}`, ksmBefore[k]!);
  rmSync(dir, { recursive: true, force: true });
});

/** Rss and AnonHugePages of the guest-RAM mapping, from /proc/PID/smaps. */
function guestRamSmaps(guest: Guest): { residentBytes: number; anonHugeBytes: number } {
  const text = readFileSync(`/proc/${guest.pid}/smaps`, 'utf8');
  const start = text.indexOf(`${guest.guestRamRange().start.toString(16)}-`);
  assert.ok(start >= 0, 'guest RAM in smaps');
  const block = text.slice(start, text.indexOf('\nVmFlags:', start));
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(block)![1]) * 1024;
  return { residentBytes: kb('Rss'), anonHugeBytes: kb('AnonHugePages') };
}

/** ksmd's pid (the KSM scanner, a kernel thread). */
function ksmdPidOf(): number {
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'ksmd') return Number(entry);
    } catch {
      // gone
    }
  }
  throw new Error('no ksmd on this kernel');
}

/** A task's CPU time (utime + stime, 100 ticks a second), ms. */
const cpuMsOf = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

const mergingPages = (guest: Guest): number => Number(/^ksm_merging_pages (\d+)$/m.exec(readFileSync(`/proc/${guest.pid}/ksm_stat`, 'utf8'))![1]);
const rowOf = (s: Snapshot, guest: Guest): VmSnapshot | undefined => s.vms.find((v) => v.pid === guest.pid);
const causesAbout = (s: Snapshot, cause: string, guest: Guest): Cause[] => s.diagnosis!.causes.filter((c) => c.cause === cause && c.pid === guest.pid);
/** within 1% of the reference, or `slack` */
const near = (value: number, reference: number, slack = 0): boolean => Math.abs(value - reference) <= Math.max(0.01 * reference, slack);

test('KSM off then on with two identical guests; THP on one guest and off on the other', { skip, timeout: 120_000 }, async (t) => {
  const startMs = Date.now();
  // ksmd's CPU time from its /proc stat, every 200 ms from the start (the diagnosis's
  // window of the snapshot checked below may begin before KSM was turned on)
  const ksmdSamples: Array<{ ms: number; cpuMs: number }> = [];
  const ksmdPid = ksmdPidOf();
  const ksmdSampler = setInterval(() => ksmdSamples.push({ ms: Date.now(), cpuMs: cpuMsOf(ksmdPid) }), 200);
  t.after(() => clearInterval(ksmdSampler));
  const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
  const memoryMiB = Math.ceil((0.55 * memTotal) / MiB);
  writeFileSync(`${KSM}/run`, '0');
  // pages KSM merged for others before (stopping KSM keeps them): none on a host without KSM
  const othersMerged = Number(ksm('pages_shared')) + Number(ksm('pages_sharing'));
  // booted side by side; one that started is stopped in after() even if the other failed
  const started = await Promise.allSettled([startGuest({ name: 'ksm-thp-a', memoryMiB }), startGuest({ name: 'ksm-thp-b', memoryMiB, disableThp: true })]);
  for (const r of started) if (r.status === 'fulfilled') guests.push(r.value);
  for (const r of started) if (r.status === 'rejected') throw r.reason;
  const [withThp, noThp] = guests as [Guest, Guest];
  await Promise.all(guests.map((g) => g.ctl('alloc 64', 60_000)));
  t.diagnostic(`guests up with -m ${memoryMiB} each (${((200 * memoryMiB * MiB) / memTotal).toFixed(1)}% of MemTotal), 64 MiB written in each: ${((Date.now() - startMs) / 1000).toFixed(1)} s`);

  const thresholds = join(dir, 'thresholds.json');
  writeFileSync(thresholds, JSON.stringify({ thpMinGuestRamMiB: 256 }));
  live = startLive(['--groups', 'reclaim', '--thresholds', thresholds]);
  const walked = (s: Snapshot): boolean => guests.every((g) => (rowOf(s, g)?.rss.guestRamBytes ?? 0) > 256 * MiB) && s.diagnosis !== null;

  // KSM off
  const off = await live.waitFor(walked, 60_000, 'both guests with guest RAM read');
  const smapsWith = guestRamSmaps(withThp);
  const smapsNo = guestRamSmaps(noThp);
  const rowWith = rowOf(off, withThp)!;
  const rowNo = rowOf(off, noThp)!;
  t.diagnostic(`KSM off: ${off.diagnosis!.headline}`);
  t.diagnostic(`with THP: faultline ${rowWith.rss.guestRamHugeBytes / MiB} of ${rowWith.rss.guestRamBytes / MiB} MiB in huge pages, smaps AnonHugePages ${smapsWith.anonHugeBytes / MiB} of Rss ${smapsWith.residentBytes / MiB} MiB`);
  t.diagnostic(`without THP: faultline ${rowNo.rss.guestRamHugeBytes / MiB} of ${rowNo.rss.guestRamBytes / MiB} MiB, smaps ${smapsNo.anonHugeBytes / MiB} of ${smapsNo.residentBytes / MiB} MiB`);
  assert.equal(off.host.ksmState, 'off');
  assert.equal(off.host.thpEnabled, readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8').match(/\[(\w+)\]/)![1]);
  const first = off.diagnosis!.causes[0]!;
  assert.equal(first.cause, 'overcommit', off.diagnosis!.headline);
  assert.match(first.remedy, /KSM is off: `echo 1 > \/sys\/kernel\/mm\/ksm\/run` merges identical guest pages/);
  // guest RAM in huge pages, as smaps of that mapping says (the idle guests move it by a
  // page or two between the two reads)
  assert.ok(near(rowWith.rss.guestRamHugeBytes, smapsWith.anonHugeBytes, 4 * MiB), `${rowWith.rss.guestRamHugeBytes} vs ${smapsWith.anonHugeBytes}`);
  assert.ok(near(rowWith.rss.guestRamBytes, smapsWith.residentBytes, 4 * MiB));
  assert.ok(smapsWith.anonHugeBytes > 0.9 * smapsWith.residentBytes, 'THP gives the guest huge pages');
  assert.equal(rowNo.rss.guestRamHugeBytes, 0);
  assert.equal(smapsNo.anonHugeBytes, 0);
  const [thpLow] = causesAbout(off, 'thp-low', noThp);
  assert.ok(thpLow, `no thp-low for the guest without THP: ${off.diagnosis!.causes.map((c) => `${c.cause} ${c.subject}`).join(', ')}`);
  assert.equal(thpLow.subject, 'ksm-thp-b');
  assert.match(thpLow.title, /^ksm-thp-b \(VM\) has 0% of its guest RAM in huge pages \(below 50%\)$/);
  assert.match(thpLow.remedy, new RegExp(`^THP is madvise here, yet ksm-thp-b's guest RAM is in small pages: \`grep THP_enabled /proc/${noThp.pid}/status\``));
  assert.equal(readFileSync(`/proc/${noThp.pid}/status`, 'utf8').match(/^THP_enabled:\s+(\d)/m)?.[1], '0', 'where the remedy points: THP disabled for that QEMU');
  assert.deepEqual(causesAbout(off, 'thp-low', withThp), []);
  // with the default thresholds these ~500 MiB guests are too small to judge
  const byDefault = diagnose(live.snapshots.slice(-10), DEFAULT_THRESHOLDS).causes.filter((c) => c.cause === 'thp-low');
  assert.deepEqual(byDefault, []);

  // KSM on, scanning fast
  const ksmOnMs = Date.now();
  writeFileSync(`${KSM}/pages_to_scan`, '20000');
  writeFileSync(`${KSM}/sleep_millisecs`, '10');
  writeFileSync(`${KSM}/run`, '1');
  // merged once pages_sharing holds still for a second
  let sharing = 0;
  for (let previous = -1; Date.now() - ksmOnMs < 30_000; previous = sharing) {
    await new Promise((r) => setTimeout(r, 1000));
    sharing = Number(ksm('pages_sharing'));
    if (sharing > 0 && near(sharing, previous)) break;
  }
  const mergedMs = Date.now();
  t.diagnostic(`KSM merged in ${((mergedMs - ksmOnMs) / 1000).toFixed(1)} s: pages_sharing ${sharing}, pages_shared ${ksm('pages_shared')}`);
  assert.ok(sharing > 0, 'pages_sharing > 0');
  const on = await live.waitFor((s) => s.timeMs > mergedMs && walked(s), 20_000, 'a snapshot after KSM merged');
  const truth = { sharing: Number(ksm('pages_sharing')), shared: Number(ksm('pages_shared')), with: mergingPages(withThp), no: mergingPages(noThp) };
  const merged = { with: rowOf(on, withThp)!.ksmMergedPages, no: rowOf(on, noThp)!.ksmMergedPages };
  t.diagnostic(`KSM on: ${on.diagnosis!.headline}`);
  t.diagnostic(`merged pages: faultline ${merged.with} and ${merged.no}, ksm_stat ${truth.with} and ${truth.no}; pages_sharing: faultline ${on.host.ksmPagesSharing}, sysfs ${truth.sharing} (pages_shared ${truth.shared})`);
  assert.equal(on.host.ksmState, 'on');
  assert.ok(near(merged.with, truth.with) && merged.with > 0, `${merged.with} vs ksm_stat ${truth.with}`);
  assert.ok(near(merged.no, truth.no) && merged.no > 0, `${merged.no} vs ksm_stat ${truth.no}`);
  assert.ok(near(on.host.ksmPagesSharing, truth.sharing), `${on.host.ksmPagesSharing} vs pages_sharing ${truth.sharing}`);
  // the per-VM counts against the host's, a count kept apart: when our two guests are
  // all KSM merged (nothing merged before), their merged pages are every page KSM
  // shares (pages_shared) and every page that shares one (pages_sharing)
  if (othersMerged === 0) assert.ok(near(merged.with + merged.no, truth.shared + truth.sharing), `${merged.with} + ${merged.no} vs pages_shared ${truth.shared} + pages_sharing ${truth.sharing}`);
  else t.diagnostic(`KSM had merged ${othersMerged} pages of other processes before: the per-VM sum is not checked against pages_shared + pages_sharing`);
  const over = on.diagnosis!.causes[0]!;
  assert.equal(over.cause, 'overcommit', on.diagnosis!.headline);
  assert.doesNotMatch(over.remedy, /KSM is off/);
  t.diagnostic(`overcommit evidence: ${over.evidence[1]}`);
  // "given back: KSM on, merged 699.6 MiB (pages_sharing 119702, 467.6 MiB saved host-wide), ..."
  const given = /^given back: KSM on, merged ([\d.]+) MiB \(pages_sharing (\d+), ([\d.]+) MiB saved host-wide\)/.exec(over.evidence[1]!);
  assert.ok(given, over.evidence[1]);
  assert.ok(near(Number(given[1]) * MiB, (truth.with + truth.no) * 4096, 0.1 * MiB), `merged ${given[1]} MiB vs ksm_stat ${truth.with + truth.no} pages`);
  assert.ok(near(Number(given[2]), truth.sharing), `pages_sharing ${given[2]} vs ${truth.sharing}`);
  // what ksmd cost over the diagnosis's window, against its /proc stat over the same
  // span (samples every 200 ms; CPU ticks are 10 ms: within 3 points or 20%)
  clearInterval(ksmdSampler);
  const ksmdShown = Number(/ksmd using ([\d.]+)% of a CPU/.exec(over.evidence[1]!)?.[1]);
  const nearest = (ms: number) => ksmdSamples.reduce((best, x) => (Math.abs(x.ms - ms) < Math.abs(best.ms - ms) ? x : best));
  const [a, b] = [nearest(on.diagnosis!.window.fromMs), nearest(on.diagnosis!.window.toMs)];
  const ksmdPct = (100 * (b.cpuMs - a.cpuMs)) / (b.ms - a.ms);
  t.diagnostic(`ksmd: ${ksmdShown}% of a CPU shown, /proc/${ksmdPid}/stat ${ksmdPct.toFixed(1)}% over the same window`);
  assert.ok(ksmdShown > 0 && Math.abs(ksmdShown - ksmdPct) <= Math.max(3, 0.2 * ksmdPct), `ksmd ${ksmdShown}% vs ${ksmdPct.toFixed(1)}%`);
  // the guest with THP: KSM split its huge pages to merge them, and thp-low says so
  const split = causesAbout(on, 'thp-low', withThp)[0];
  assert.ok(split, `no thp-low for the guest KSM merged: ${on.diagnosis!.causes.map((c) => `${c.cause} ${c.subject}`).join(', ')}`);
  assert.match(split.remedy, /^KSM merged [\d.]+ MiB of it, and merging splits huge pages/);
  t.diagnostic(`with THP after KSM: ${split.title}; smaps AnonHugePages now ${guestRamSmaps(withThp).anonHugeBytes / MiB} MiB`);
  t.diagnostic(`wall time ${((Date.now() - startMs) / 1000).toFixed(1)} s`);
});
