// The guest's own view through a REAL libvirt (issue 13): a libvirtd of the test's own
// (test/harness/libvirt-daemon.ts: private mount namespace, the host's libvirt
// untouched) runs the test guest as a transient domain (TCG, 256 MiB, virtio balloon
// with <stats period='1'/>), and the real CLI, `faultline live --json`, runs in the
// daemon's namespace, where it finds the daemon's socket and virsh as on a libvirt
// host. Checked:
// - faultline's reading (virsh domstats --balloon, every 10 intervals) against
//   `virsh dommemstat` (another libvirt API) and the guest's own /proc/meminfo (its
//   control channel): balloon size, MemTotal, MemFree, MemAvailable;
// - `virsh setmem NAME 191M --live` with 114 MiB held in the guest: its MemAvailable
//   falls below 10% of the balloon -> the diagnosis names guest-memory-low for that VM,
//   with a `virsh setmem NAME 256M --live` remedy, and /metrics carries the balloon;
// - `virsh setmem NAME 256M --live`: the cause clears.
// Everything started is stopped: faultline, the domain, the daemon (by pid), the temp dir.
// Boots QEMU: run it under the heavy lock,
//   flock /tmp/faultline-heavy.lock node test/run.mjs test/kernel/libvirt-guest.test.ts
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { kernelGate, kernelTestsRequired } from '../harness/kernel-gate.js';
import { REPO_ROOT, startLive, type LiveRun } from '../harness/faultline-live.js';
import { guestCtl, libvirtGuestXml, startLibvirtd, waitForConsoleLine, type LibvirtDaemon } from '../harness/libvirt-daemon.js';
import { MetricsState } from '../../src/serve/metrics.js';
import type { GuestMemory, Snapshot, VmSnapshot } from '../../src/model/snapshot.js';

const MiB = 2 ** 20;
const KiB = 1024;

function libvirtGate(): false | string {
  const kernel = kernelGate({ qemu: true });
  if (kernel) return kernel;
  const missing = ['libvirtd', 'virsh', 'unshare', 'nsenter'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status !== 0);
  if (!missing) return false;
  const reason = `${missing} is not installed (apt-get install libvirt-daemon-system libvirt-clients)`;
  if (kernelTestsRequired()) throw new Error(`kernel test prerequisite missing in CI: ${reason}`);
  return `SKIPPED (kernel test): ${reason}`;
}

const skip = libvirtGate();
let daemon: LibvirtDaemon | null = null;
let live: LiveRun | null = null;

after(async () => {
  await live?.stop();
  await daemon?.stop();
});

/** `virsh dommemstat` lines, `key value`, as numbers. */
const parseMemstat = (text: string): Record<string, number> =>
  Object.fromEntries(text.trim().split('\n').map((l) => l.trim().split(/\s+/)).filter((p) => p.length === 2).map(([k, v]) => [k, Number(v)]));

/** The guest's ACK: memfree=NkB memtotal=NkB memavailable=NkB, in bytes. */
function guestMeminfo(ack: string): { memFree: number; memTotal: number; memAvailable: number } {
  const kb = (key: string): number => Number(new RegExp(`${key}=(\\d+)kB`).exec(ack)?.[1] ?? NaN) * KiB;
  return { memFree: kb('memfree'), memTotal: kb('memtotal'), memAvailable: kb('memavailable') };
}

const mib = (bytes: number): string => (bytes / MiB).toFixed(2);

test('a libvirt guest\'s own memory: faultline = virsh dommemstat = the guest\'s /proc/meminfo; setmem down -> guest-memory-low, up -> cleared', { skip, timeout: 120_000 }, async (t) => {
  const startedMs = Date.now();
  daemon = await startLibvirtd();
  const name = `fl-lv-${process.pid}`;
  const uuid = randomUUID();
  const consolePath = join(daemon.dir, 'console.log');
  const ctlPath = join(daemon.dir, 'ctl.sock');
  const xmlPath = join(daemon.dir, 'guest.xml');
  writeFileSync(xmlPath, await libvirtGuestXml({ name, uuid, memoryMiB: 256, statsPeriodS: 1, consolePath, ctlPath }));
  // faultline attaches while the domain starts: a reading every 10 intervals, 2.5 s
  live = startLive(['--interval', '250ms', '--groups', 'faults', '--top', '0'], daemon.inNamespace(REPO_ROOT));
  await daemon.virsh(['create', xmlPath]);
  const qemuPid = Number(daemon.readFile(`/run/libvirt/qemu/${name}.pid`));
  assert.ok(qemuPid > 0, 'libvirt\'s pid file for the domain');
  await waitForConsoleLine(consolePath, /^CTL: ready/, 30_000);
  t.diagnostic(`daemon up, domain created, guest booted at ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);

  const rowOf = (s: Snapshot): VmSnapshot | undefined => s.vms.find((v) => v.pid === qemuPid);
  const guestOf = (s: Snapshot): GuestMemory | null => rowOf(s)?.guestMemory ?? null;
  const reportedAfter = (ms: number) => (s: Snapshot): boolean => {
    const g = guestOf(s);
    // the guest's report time is whole seconds
    return !!g && g.readAtMs > ms && g.guestUpdatedMs >= Math.floor(ms / 1000) * 1000 + 1000;
  };

  // 114 MiB held in the guest (tmpfs), then faultline's next reading of it
  await guestCtl(ctlPath, 'alloc 114');
  const allocatedAt = Date.now();
  const seen = await live.waitFor(reportedAfter(allocatedAt), 20_000, 'a reading of the guest after it allocated');
  const [memstatText, ack] = await Promise.all([daemon.virsh(['dommemstat', name]), guestCtl(ctlPath, 'stat')]);
  const g = guestOf(seen)!;
  const memstat = parseMemstat(memstatText);
  const inGuest = guestMeminfo(ack);
  const row = rowOf(seen)!;
  t.diagnostic(`faultline: balloon ${mib(g.balloonCurrentBytes)} of ${mib(g.balloonMaximumBytes)} MiB, MemTotal ${mib(g.memTotalBytes)}, MemFree ${mib(g.memFreeBytes)}, MemAvailable ${mib(g.memAvailableBytes)} MiB (guest report ${g.guestUpdatedMs / 1000})`);
  t.diagnostic(`virsh dommemstat: actual ${mib(memstat.actual! * KiB)}, available ${mib(memstat.available! * KiB)}, unused ${mib(memstat.unused! * KiB)}, usable ${mib(memstat.usable! * KiB)} MiB (last_update ${memstat.last_update})`);
  t.diagnostic(`guest /proc/meminfo: MemTotal ${mib(inGuest.memTotal)}, MemFree ${mib(inGuest.memFree)}, MemAvailable ${mib(inGuest.memAvailable)} MiB`);
  assert.deepEqual([row.name, row.uuid, row.source], [name, uuid, 'libvirt']);
  assert.equal(g.balloonCurrentBytes, memstat.actual! * KiB);
  assert.equal(g.balloonMaximumBytes, 256 * MiB);
  assert.equal(g.memTotalBytes, memstat.available! * KiB, 'MemTotal: libvirt\'s "available"');
  assert.equal(g.memTotalBytes, inGuest.memTotal, 'MemTotal: the guest\'s own');
  if (memstat.last_update === g.guestUpdatedMs / 1000) {
    // the same report of the guest: the same numbers
    assert.deepEqual([g.memFreeBytes, g.memAvailableBytes], [memstat.unused! * KiB, memstat.usable! * KiB]);
  } else {
    // a later report of an idle guest: within 1 MiB
    assert.ok(Math.abs(g.memFreeBytes - memstat.unused! * KiB) <= MiB, 'MemFree against dommemstat');
    assert.ok(Math.abs(g.memAvailableBytes - memstat.usable! * KiB) <= MiB, 'MemAvailable against dommemstat');
  }
  // the guest's meminfo, read by its shell a moment later (the command itself allocates a little)
  assert.ok(Math.abs(g.memFreeBytes - inGuest.memFree) <= 2 * MiB, `MemFree ${mib(g.memFreeBytes)} against the guest's ${mib(inGuest.memFree)} MiB`);
  assert.ok(Math.abs(g.memAvailableBytes - inGuest.memAvailable) <= 2 * MiB, `MemAvailable ${mib(g.memAvailableBytes)} against the guest's ${mib(inGuest.memAvailable)} MiB`);
  assert.ok(g.memAvailableBytes > 0.1 * g.balloonCurrentBytes, 'room before the balloon inflates');
  assert.equal(seen.diagnosis!.causes.filter((c) => c.cause === 'guest-memory-low').length, 0);

  // the balloon takes 65 MiB: MemAvailable falls below 10% of the 191 MiB left
  await daemon.virsh(['setmem', name, '191M', '--live']);
  const lowAt = Date.now();
  const low = await live.waitFor((s) => reportedAfter(lowAt)(s) && guestOf(s)!.balloonCurrentBytes === 191 * MiB && !!s.diagnosis?.causes.some((c) => c.cause === 'guest-memory-low'), 20_000, 'guest-memory-low after setmem 191M');
  const cause = low.diagnosis!.causes.find((c) => c.cause === 'guest-memory-low')!;
  const gl = guestOf(low)!;
  const lowMemstat = parseMemstat(await daemon.virsh(['dommemstat', name]));
  t.diagnostic(`after setmem 191M: faultline MemAvailable ${mib(gl.memAvailableBytes)} of ${mib(gl.balloonCurrentBytes)} MiB; dommemstat usable ${mib(lowMemstat.usable! * KiB)} of actual ${mib(lowMemstat.actual! * KiB)} MiB`);
  t.diagnostic(`${cause.title}\n  ${cause.evidence.join('\n  ')}\n  do: ${cause.remedy}`);
  assert.equal(lowMemstat.actual! * KiB, 191 * MiB);
  assert.ok(Math.abs(gl.memAvailableBytes - lowMemstat.usable! * KiB) <= MiB);
  assert.deepEqual([cause.subject, cause.subjectId, cause.pid, cause.severity], [name, rowOf(low)!.id, qemuPid, 'warning']);
  assert.match(cause.title, new RegExp(`^${name} \\(VM\\): the guest has \\d+(\\.\\d)?% of its memory available \\(below 10%\\)$`));
  assert.ok(cause.remedy.startsWith(`give the guest memory back through its balloon: \`virsh setmem ${name} 256M --live\``), cause.remedy);
  // /metrics from the same snapshot
  const metrics = new MetricsState();
  metrics.update(low);
  const text = metrics.render();
  assert.ok(text.includes(`faultline_vm_balloon_bytes{vm="${name}",uuid="${uuid}",kind="current"} ${191 * MiB}\n`), text.split('\n').filter((l) => l.includes('balloon')).join('\n'));
  assert.ok(text.includes(`faultline_vm_guest_memory_bytes{vm="${name}",uuid="${uuid}",kind="mem_available"} ${gl.memAvailableBytes}\n`));

  // and back: the cause clears
  await daemon.virsh(['setmem', name, '256M', '--live']);
  const upAt = Date.now();
  const cleared = await live.waitFor((s) => reportedAfter(upAt)(s) && guestOf(s)!.balloonCurrentBytes === 256 * MiB, 20_000, 'a reading after setmem 256M');
  t.diagnostic(`after setmem 256M: MemAvailable ${mib(guestOf(cleared)!.memAvailableBytes)} of ${mib(guestOf(cleared)!.balloonCurrentBytes)} MiB`);
  assert.equal(cleared.diagnosis!.causes.filter((c) => c.cause === 'guest-memory-low').length, 0, cleared.diagnosis!.headline);
  assert.deepEqual(live.stderr.filter((l) => /guests' own memory/.test(l)), [], 'virsh never failed');
  t.diagnostic(`done at ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
});
