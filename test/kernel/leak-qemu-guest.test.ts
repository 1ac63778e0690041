// A real QEMU guest (TCG) that fills its memory is reported as guest growth, never
// as a QEMU leak. Three phases on one 512 MiB guest, traced by the real CLI:
//   1. overcommitted: QEMU sits in a cgroup-v1 memory cgroup whose headroom is less
//      than the guest RAM not yet resident, while the guest grows 8 MiB/s for 20 s:
//      guest-growth says suspect ("guest growth, not a QEMU leak ... cgroup limit").
//   2. room: the limit is lifted and the guest allocates on, to 85% of its size
//      (its tmpfs limit; ~all of -m is then resident): guest-growth says ok, worded
//      as guest growth on a host that has room.
//   3. balloon: the guest frees its memory and the balloon takes 192 MiB back: the
//      balloon detector sees guest RAM come down with it (ok).
// Throughout, qemu-own (QEMU's own memory) and the VM's leak verdict are never leak
// or suspect. Verdicts are the CLI's only (`live --json --leak-window 10s`): a CLI
// that lost its detectors has no findings, and fails. Window 10 s; about 75 s with boot.
// Boots QEMU: run it under the heavy lock,
//   flock /tmp/faultline-heavy.lock node test/run.mjs test/kernel/leak-qemu-guest.test.ts
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { kernelGate } from '../harness/kernel-gate.js';
import { startGuest, type Guest } from '../harness/qemu-guest.js';
import { REPO_ROOT, startLive, type LiveRun } from '../harness/faultline-live.js';
import type { Finding, Snapshot, VmSnapshot } from '../../src/model/snapshot.js';
import { removeCgroup } from '../harness/memcg.js';

const MiB = 2 ** 20;
const WINDOW_MS = 10_000;
const MEMORY_MIB = 512;
const skip = kernelGate({ qemu: true });
const CGROUP = `/sys/fs/cgroup/memory/faultline-leak-guest-${process.pid}`;
let guest: Guest | null = null;
let live: LiveRun | null = null;

after(async () => {
  await guest?.stop();
  await live?.stop();
  await removeCgroup(CGROUP);
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a guest filling its RAM is guest growth (suspect when overcommitted, ok with room), never a QEMU leak; balloon returns memory', { skip, timeout: 240_000 }, async (t) => {
  if (!existsSync('/sys/fs/cgroup/memory')) assert.fail('cgroup v1 memory controller is not mounted at /sys/fs/cgroup/memory');
  live = startLive(['--interval', '500ms', '--groups', 'growth', '--top', '0', '--leak-window', `${WINDOW_MS / 1000}s`]);
  await live.waitFor(() => true, 60_000, 'the first snapshot (probes attached)');

  guest = await startGuest({ memoryMiB: MEMORY_MIB, hogMiB: 8, hogLimitMiB: 160, hogIntervalS: 1, startPaused: true });
  const pid = guest.pid;
  mkdirSync(CGROUP);
  // memory QEMU touched before the move stays charged where it was (moving charges
  // is gone from recent kernels); the guest's boot and growth charge this cgroup
  writeFileSync(`${CGROUP}/cgroup.procs`, String(pid));
  const judged: Snapshot[] = [];
  const judge = (): Snapshot[] => {
    for (const s of live!.snapshots.slice(judged.length)) judged.push(s);
    return judged;
  };
  const rowOf = (s: Snapshot): VmSnapshot | undefined => s.vms.find((v) => v.pid === pid);
  const finding = (row: VmSnapshot, detector: string): Finding | undefined => row.findings.find((f) => f.detector === detector);
  const waitForFinding = async (pred: (f: Finding, row: VmSnapshot) => boolean, detector: string, fromIndex: number, timeoutMs: number, what: string): Promise<Finding> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = judge().slice(fromIndex).map(rowOf).find((row) => row && finding(row, detector) && pred(finding(row, detector)!, row));
      if (hit) return finding(hit, detector)!;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last ${detector}: ${judge().map(rowOf).filter(Boolean).slice(-3).map((r) => finding(r!, detector)?.message).join(' / ')}`);
      await sleep(250);
    }
  };

  // phase 1: the guest boots and grows 8 MiB/s to 160 MiB; the cgroup can hold that
  // but not the rest of its 512 MiB
  await guest.cont();
  await guest.waitForConsole(/HOG: total=/, 60_000);
  const usage = Number(readFileSync(`${CGROUP}/memory.usage_in_bytes`, 'utf8'));
  writeFileSync(`${CGROUP}/memory.limit_in_bytes`, String(usage + 224 * MiB));
  t.diagnostic(`cgroup limit set to usage ${(usage / MiB).toFixed(0)} MiB + 224 MiB`);
  const overcommitted = await waitForFinding((f) => f.verdict === 'suspect', 'guest-growth', 0, 60_000, 'guest-growth suspect (overcommitted)');
  console.log(`  phase 1: ${overcommitted.message}`);
  assert.match(overcommitted.message, /^guest growth, not a QEMU leak: guest RAM rising .* while the cgroup limit leaves .* \(overcommitted\)/);
  await guest.waitForConsole(/HOG: done/, 60_000);

  // phase 2: room again; the guest allocates on to its tmpfs limit (85% of 512 MiB)
  writeFileSync(`${CGROUP}/memory.limit_in_bytes`, '-1');
  const liftedAt = judge().length;
  for (let total = 160; total < 432; total += 16) {
    await guest.ctl('alloc 16');
    await sleep(1000);
  }
  const room = await waitForFinding((f) => f.verdict === 'ok' && /guest growth/.test(f.message), 'guest-growth', liftedAt, 30_000, 'guest-growth ok (host has room)');
  console.log(`  phase 2: ${room.message}`);
  assert.match(room.message, /^guest growth, not a QEMU leak: .* the host has room for it/);
  const filledAt = judge().length;
  await live.waitFor((_s, all) => all.length >= filledAt + (WINDOW_MS / 500) + 2, 30_000, 'a window after the guest filled');
  const full = rowOf(judge().at(-1)!)!;
  console.log(`  guest RAM ${(full.rss.guestRamBytes / MiB).toFixed(0)} of ${MEMORY_MIB} MiB resident; last guest-growth: ${finding(full, 'guest-growth')!.message}`);
  assert.ok(full.rss.guestRamBytes >= 0.8 * guest.memoryBytes, 'the guest did not fill its memory');
  assert.equal(finding(full, 'guest-growth')!.verdict, 'ok');

  // phase 3: balloon inflate; guest RAM must come down with it
  const balloonAt = judge().length;
  await guest.ctl('freeall');
  await guest.qmp('balloon', { value: (MEMORY_MIB - 192) * MiB });
  const balloon = await waitForFinding((f) => f.verdict !== 'insufficient-data' && /inflate/.test(f.message), 'balloon', balloonAt, 30_000, 'a balloon verdict');
  console.log(`  phase 3: ${balloon.message}`);
  assert.equal(balloon.verdict, 'ok');

  // throughout: never a QEMU leak
  const rows = judge().map(rowOf).filter((r): r is VmSnapshot => r !== undefined);
  const own = rows.map((r) => finding(r, 'qemu-own')!);
  console.log(`  qemu-own verdicts: ${[...new Set(own.map((f) => f.verdict))].join(', ')}; own anon ${(rows[0]!.rss.ownAnonBytes / MiB).toFixed(0)} -> ${(rows.at(-1)!.rss.ownAnonBytes / MiB).toFixed(0)} MiB; last: ${own.at(-1)!.message}`);
  assert.deepEqual(own.filter((f) => f.verdict === 'leak' || f.verdict === 'suspect').map((f) => f.message), []);
  assert.ok(rows.every((r) => r.leak.verdict !== 'leak' && r.leak.verdict !== 'suspect'), 'the VM was given a leak verdict');
  const events = judge().flatMap((s) => s.events).filter((e) => e.type === 'leak-finding' && e.pid === pid);
  assert.ok(events.length >= 1 && events.every((e) => e.group === 'guest-growth'), events.map((e) => `${e.group}: ${e.message}`).join('\n'));
  saveCapture(live.snapshots, pid);
});

/** This run's snapshots cut to the QEMU row and the fields the detectors read (for
 * re-baselining test/detect/fixtures/). */
function saveCapture(snapshots: Snapshot[], pid: number): void {
  const dir = `${REPO_ROOT}test/.tmp`;
  mkdirSync(dir, { recursive: true });
  const lines = snapshots.map((s) => JSON.stringify({
    seq: s.seq, timeMs: s.timeMs, intervalMs: s.intervalMs,
    host: { memTotalBytes: s.host.memTotalBytes, memAvailableBytes: s.host.memAvailableBytes, slabUnreclaimableBytes: s.host.slabUnreclaimableBytes, psiMemSomeAvg10: s.host.psiMemSomeAvg10 },
    probes: { attached: s.probes.attached, lostEvents: s.probes.lostEvents },
    vms: s.vms.filter((v) => v.pid === pid).map((v) => ({
      id: v.id, kind: v.kind, pid: v.pid, comm: v.comm, name: v.name, memoryBytes: v.memoryBytes,
      rss: v.rss, growth: v.growth, cgroup: v.cgroup, guestRamStart: v.guestRamStart, guestRamEnd: v.guestRamEnd,
    })),
  }));
  writeFileSync(`${dir}/leak-qemu-guest.capture.ndjson`, `${lines.join('\n')}\n`);
}
