// Probe maps start small and grow when one fills (src/probe/map-keys.ts), with real
// bpftrace: `live --map-keys 64`, a process touching 512 MiB of fresh pages (256 regions
// of 2 MiB, ~128 per 1 s interval here) fills the region map; faultline says so and
// restarts bpftrace with 256 keys per map, which the kernel's own view of the maps
// confirms (max_entries in /proc/BPFTRACE/fdinfo); the next process's faults are then
// counted within 5% of /proc/PID/stat again (its user faults are 16 x its sampled
// regions, so a full region map would undercount them).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { kernelGate } from '../harness/kernel-gate.js';
import { HASH_MAP_TYPES, readBpfMaps } from '../harness/bpf-maps.js';
import { touchPages } from '../harness/touch-pages.js';
import { startLive, type LiveRun } from '../harness/faultline-live.js';
import { bpftracePidOf } from '../harness/processes.js';

const skip = kernelGate();
let live: LiveRun | null = null;
const workloads: ChildProcess[] = [];
after(async () => {
  for (const w of workloads) w.kill('SIGKILL');
  await live?.stop();
});

/** max_entries of each keyed BPF hash map the process holds, from the kernel (fdinfo).
 * A scalar map (`@start = nsecs`, no key) is a hash map of one entry from bpftrace 0.20
 * on (seen with 0.23 and 0.27; 0.17 gives it the keys limit too): not a keyed map. */
function hashMapSizes(pid: number): number[] {
  return readBpfMaps(pid).filter((m) => HASH_MAP_TYPES.has(m.mapType) && m.maxEntries > 1).map((m) => m.maxEntries);
}

test('a full probe map: faultline says so, bpftrace restarts with 4x the keys, counts are whole again', { skip, timeout: 180_000 }, async () => {
  live = startLive(['--interval', '1s', '--groups', 'faults', '--map-keys', '64']);
  await live.waitFor(() => true, 60_000, 'the first snapshot (probes attached)');
  const first = bpftracePidOf(live.pid);
  const sizesBefore = hashMapSizes(first);
  assert.ok(sizesBefore.length > 0 && sizesBefore.every((n) => n === 64), `hash maps of bpftrace at start: ${sizesBefore}`);

  await touchPages(131072, workloads);
  const grew = (): string | undefined => live!.stderr.find((l) => /held its limit of 64 keys in one interval.*restarting bpftrace with 256 keys per map/.test(l));
  const restarted = (): boolean => live!.stderr.some((l) => /probe group "faults" restarted/.test(l));
  for (let i = 0; i < 60 && !(grew() && restarted()); i++) await new Promise((r) => setTimeout(r, 500));
  assert.ok(grew(), `no map-full line:\n${live.stderr.join('\n')}`);
  assert.match(grew()!, /@fault_region_sampled/);
  assert.ok(restarted(), `bpftrace not restarted:\n${live.stderr.join('\n')}`);
  const second = bpftracePidOf(live.pid);
  assert.notEqual(second, first);
  const sizesAfter = hashMapSizes(second);
  assert.ok(sizesAfter.length > 0 && sizesAfter.every((n) => n === 256), `hash maps of the new bpftrace: ${sizesAfter}`);

  // 128 MiB: 64 regions, within the new limit: its faults are whole
  const seq = live.snapshots.length;
  const { pid, faults } = await touchPages(32768, workloads);
  await live.waitFor((_s, all) => all.length >= seq + 4, 20_000, 'three more snapshots');
  const probed = live.snapshots.flatMap((s) => s.vms.filter((v) => v.pid === pid)).reduce((sum, v) => sum + v.faults.user, 0);
  console.log(`  after growing: touched 32768 pages, /proc minflt delta ${faults}, probe user faults ${probed}`);
  assert.ok(Math.abs(probed - faults) <= 0.05 * faults, `probe ${probed} vs /proc ${faults}`);
  assert.ok(!live.stderr.some((l) => /restarting bpftrace with 1024/.test(l)), 'grew again without a full map');
});
