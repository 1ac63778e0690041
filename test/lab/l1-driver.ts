// Runs inside the lab's L1 machine (test/lab/l1-script.sh starts it): a real kernel
// with a real /dev/kvm (kvm_amd, nested under TCG). It runs `faultline live` for the
// whole session and, one after another, real QEMU/KVM "L2" guests in shapes whose
// KVM signals are known, and for each one takes independent counts of the same
// things: a bpftrace program of its own (the host's 0.17, filtered on the guest's
// pid and guest-RAM range), the kernel's KVM statistics in /sys/kernel/debug/kvm,
// /proc/PID/smaps and the memory cgroup's files. It asserts nothing: the host side
// (test/lab/lab-results.test.ts) compares, so a failure can be studied without
// booting again. Everything goes to LAB_OUT (/tmp/out = the host's OUT folder):
//   faultline.ndjson, faultline.err   the live session (one Snapshot per line)
//   results.json                      the scenarios, their windows and the references
//   driver.log                        what happened when
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startGuest, type Guest, type StartGuestOptions } from '../harness/qemu-guest.js';
import { compiledProgram } from '../harness/c-program.js';
import { assembleGroup } from '../../src/probe/assemble-group.js';

const OUT = process.env.LAB_OUT ?? '/tmp/out';
const BPFTRACE = process.env.LAB_BPFTRACE || 'bpftrace';
const ROOT = new URL('../../', import.meta.url).pathname;
const INTERVAL_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function log(line: string): void {
  const text = `[${(performance.now() / 1000).toFixed(1)}s] ${line}`;
  console.log(text);
  appendFileSync(join(OUT, 'driver.log'), `${text}\n`);
}

// ------------------------------------------------------------ faultline

class Faultline {
  private child: ChildProcess | null = null;
  lines = 0;

  async start(): Promise<void> {
    const out = join(OUT, 'faultline.ndjson');
    writeFileSync(out, '');
    // the lab's guests are small: NUMA is judged from 64 MiB resident (the default,
    // 256 MiB, is for real VMs)
    const thresholds = join(OUT, 'lab-thresholds.json');
    writeFileSync(thresholds, JSON.stringify({ numaMinResidentMiB: 64 }));
    // L1 is emulated with one vCPU: the one bpftrace for all four groups compiled and
    // attached in 40 s here (four bpftrace processes at once took 75 s, longer on a
    // busier CI machine; 60 s, the default, left a group out now and then)
    const args = ['bin/faultline.js', 'live', '--json', '--interval', '1s', '--attach-timeout', '280s', '--thresholds', thresholds, ...(BPFTRACE !== 'bpftrace' ? ['--bpftrace', BPFTRACE] : [])];
    this.child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      appendFileSync(out, `${line}\n`);
      this.lines += 1;
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => appendFileSync(join(OUT, 'faultline.err'), `${line}\n`));
    for (let i = 0; i < 300 && this.lines === 0; i++) {
      if (this.child.exitCode !== null) throw new Error(`faultline exited ${this.child.exitCode} before its first snapshot (faultline.err)`);
      await sleep(1000);
    }
    if (this.lines === 0) throw new Error('no snapshot from faultline in 300 s');
  }

  /** Until N more snapshots were printed: what happened before now has been counted. */
  async snapshotsMore(n: number): Promise<void> {
    const want = this.lines + n;
    for (let i = 0; i < 60 && this.lines < want; i++) await sleep(500);
  }

  async stop(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
}

// ------------------------------------------------------------ the reference counts

/** An independent count of the guest's KVM events: the host's bpftrace, filtered on the
 * QEMU pid ($1) and its guest-RAM range ($2-$3) for the MMU notifiers (which fire in
 * whichever task changed the mapping). Printed in END, as JSON. */
const REFERENCE_PROGRAM = `
BEGIN { printf("reference_ready\\n"); }
tracepoint:kvm:kvm_page_fault /pid == $1/ { @npf = count(); if (args->fault_address >= 0xffe00000 && args->fault_address < 0x100000000) { @npf_bios = count(); } }
tracepoint:kvm:kvm_exit /pid == $1/ { @exit[args->exit_reason] = count(); }
tracepoint:kvmmmu:kvm_mmu_spte_requested /pid == $1/ { @level[args->level] = count(); }
tracepoint:kvm:kvm_try_async_get_page /pid == $1/ { @apf_try = count(); }
tracepoint:kvm:kvm_async_pf_not_present /pid == $1/ { @apf_not_present = count(); }
tracepoint:kvm:kvm_async_pf_completed { @apf_completed = count(); }
tracepoint:kvm:kvm_unmap_hva_range /args->start >= $2 && args->start < $3/ { @unmap = count(); @unmap_bytes = sum(args->end - args->start); }
tracepoint:kvm:kvm_age_hva /args->start >= $2 && args->start < $3/ { @age = count(); }
END { print(@npf); print(@npf_bios); print(@exit); print(@level); print(@apf_try); print(@apf_not_present); print(@apf_completed); print(@unmap); print(@unmap_bytes); print(@age);
  clear(@npf); clear(@npf_bios); clear(@exit); clear(@level); clear(@apf_try); clear(@apf_not_present); clear(@apf_completed); clear(@unmap); clear(@unmap_bytes); clear(@age); }
`;

interface Reference {
  stop(): Promise<Record<string, unknown>>;
}

/** kvm.bt as faultline runs it, its raw output kept as a fixture of real KVM output
 * for the unit tests (test/fixtures/bpftrace/real-kvm/). */
async function startRawKvmCapture(path: string): Promise<() => Promise<void>> {
  const program = (await assembleGroup('kvm', '/sys/kernel/tracing')).text;
  const child = spawn(BPFTRACE, ['-f', 'json', '-e', program, String(INTERVAL_MS)], { stdio: ['ignore', 'pipe', 'ignore'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += String(d)));
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  for (let i = 0; i < 240 && !text.includes('faultline_ready'); i++) await sleep(250);
  return async () => {
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await closed;
    clearTimeout(timer);
    writeFileSync(path, text);
  };
}

/** How long a reference bpftrace may take to print its maps and exit after SIGINT. */
const REFERENCE_EXIT_MS = 180_000;

async function startReference(program: string, params: (number | bigint)[]): Promise<Reference> {
  const child = spawn('bpftrace', ['-f', 'json', '-e', program, ...params.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const maps: Record<string, unknown> = {};
  const stderr: string[] = [];
  let ready = false;
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.includes('reference_ready')) ready = true;
    try {
      const record = JSON.parse(line) as { type: string; data: Record<string, unknown> | string };
      // END prints first; 0.17 dumps the cleared maps again at exit: keep the first
      if (record.type === 'map') for (const [k, v] of Object.entries(record.data)) if (!(k in maps)) maps[k] = v;
      // "ref @NAME KEY": one event, counted here as it comes (a program that counts
      // this way needs no END, so a reference killed at stop keeps its counts)
      const event = record.type === 'printf' ? /^ref (@\w+) (\S+)$/.exec(String(record.data).trim()) : null;
      if (event) {
        const counts = (maps[event[1]!] ??= {}) as Record<string, number>;
        counts[event[2]!] = (counts[event[2]!] ?? 0) + 1;
      }
    } catch { /* blank lines */ }
  });
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  for (let i = 0; i < 240 && !ready; i++) {
    if (child.exitCode !== null) throw new Error(`reference bpftrace exited: ${stderr.join(' | ')}`);
    await sleep(250);
  }
  if (!ready) throw new Error(`reference bpftrace not ready in 60 s: ${stderr.join(' | ')}`);
  return {
    async stop() {
      child.kill('SIGINT');
      // printing the maps at exit can take long on L1's emulated vCPUs while
      // faultline's bpftrace runs (once over 20 s on trixie, with four of them: the
      // reference came back empty; on 2026-12-07 bookworm's thp reference went past
      // 60 s, the first scenario, while faultline's first intervals ran); past
      // REFERENCE_EXIT_MS it is killed, and the log says so
      let killed = false;
      const timer = setTimeout(() => {
        killed = true;
        child.kill('SIGKILL');
      }, REFERENCE_EXIT_MS);
      await exited;
      clearTimeout(timer);
      if (killed) log(`reference bpftrace killed after ${REFERENCE_EXIT_MS / 1000} s without exiting; stderr: ${stderr.slice(-3).join(' | ')}`);
      return maps;
    },
  };
}

/** The kernel's own per-VM KVM statistics: /sys/kernel/debug/kvm/PID-FD/ (summed over
 * the VM's files; vCPU stats are summed by the kernel into the VM directory). */
function kvmDebugfs(pid: number): Record<string, number> {
  const base = '/sys/kernel/debug/kvm';
  const dir = readdirSync(base).find((d) => d.startsWith(`${pid}-`));
  if (!dir) return {};
  const stats: Record<string, number> = {};
  for (const name of ['pf_taken', 'pf_fixed', 'pf_mmio_spte_created', 'pf_spurious', 'pf_fast', 'pf_emulate', 'exits', 'io_exits', 'mmio_exits', 'halt_exits', 'irq_exits', 'pages_4k', 'pages_2m', 'pages_1g']) {
    const path = join(base, dir, name);
    if (existsSync(path)) stats[name] = Number(readFileSync(path, 'utf8').trim());
  }
  return stats;
}

/** Resident bytes of the mapping that starts at `start`, from /proc/PID/smaps: Rss plus
 * the Hugetlb lines (a hugetlbfs mapping's pages are not in Rss). Written here, not
 * taken from src/host/, so that it is an independent reading. */
function smapsResident(pid: number, start: bigint): { bytes: number; block: string } {
  const text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const header = `${start.toString(16)}-`;
  const blocks = text.split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/);
  const block = blocks.find((b) => b.startsWith(header)) ?? '';
  let kb = 0;
  for (const m of block.matchAll(/^(Rss|Private_Hugetlb|Shared_Hugetlb):\s+(\d+) kB$/gm)) kb += Number(m[2]);
  return { bytes: kb * 1024, block };
}

function vmstat(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync('/proc/vmstat', 'utf8').split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v) out[k] = Number(v);
  }
  return out;
}

// ------------------------------------------------------------ scenarios

interface ScenarioResult {
  name: string;
  what: string;
  guestName: string;
  uuid: string;
  pid: number;
  memoryBytes: number;
  guestRamStart: string;
  guestRamEnd: string;
  startMs: number;
  endMs: number;
  reference: Record<string, unknown>;
  debugfs: Record<string, number>;
  debugfsWhileRunning: Record<string, number>;
  smapsGuestRamBytes: number;
  /** When smaps was read (the guest paused): faultline's next snapshot read the same. */
  smapsMs: number;
  smapsBlock: string;
  mapsText: string;
  vmstatDelta: Record<string, number>;
  notes: string[];
  /** Two-node L1: numaReference() right after the workload. */
  numaReference?: Record<string, unknown>;
  error?: string;
}

interface GuestScenario {
  name: string;
  what: string;
  options: StartGuestOptions;
  /** before QEMU starts / after it stopped */
  setup?: () => void;
  teardown?: () => void;
  /** with the guest running: the workload */
  run: (guest: Guest, notes: string[]) => Promise<void>;
  /** the cgroup to put QEMU in while paused */
  cgroup?: { path: string; memoryMax: number; swapMax?: number };
  /** Keep kvm.bt's raw output of this scenario (a fixture). */
  captureRaw?: boolean;
  /** Read the NUMA reference (numa_maps, the vCPU's CPU, the nodes) before stopping. */
  numa?: boolean;
}

/** L1 booted with two NUMA nodes (test/lab/boot-l1.sh L1_NUMA_NODES=2). */
const TWO_NODES = existsSync('/sys/devices/system/node/node1');

/** The reference for faultline's NUMA figures: QEMU's resident pages per node from
 * numa_maps (all mappings, as faultline sums them), the CPU each vCPU thread last ran
 * on (task stat field 39), and each node's MemTotal and CPUs from sysfs. */
function numaReference(pid: number): Record<string, unknown> {
  const bytesByNode: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/numa_maps`, 'utf8').split('\n')) {
    const pageKb = Number(/kernelpagesize_kB=(\d+)/.exec(line)?.[1] ?? 4);
    for (const m of line.matchAll(/ N(\d+)=(\d+)/g)) bytesByNode[m[1]!] = (bytesByNode[m[1]!] ?? 0) + Number(m[2]) * pageKb * 1024;
  }
  const vcpuCpus: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    if (!/^CPU \d+\/KVM$/.test(readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim())) continue;
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    vcpuCpus.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[36]));
  }
  const nodes = readdirSync('/sys/devices/system/node').filter((n) => /^node\d+$/.test(n)).map((n) => ({
    node: Number(n.slice(4)),
    totalBytes: Number(/MemTotal:\s+(\d+) kB/.exec(readFileSync(`/sys/devices/system/node/${n}/meminfo`, 'utf8'))?.[1]) * 1024,
    cpulist: readFileSync(`/sys/devices/system/node/${n}/cpulist`, 'utf8').trim(),
  }));
  return { bytesByNode, vcpuCpus, nodes, atMs: Date.now() };
}

const THP = '/sys/kernel/mm/transparent_hugepage/enabled';
const setThp = (mode: string) => writeFileSync(THP, mode);

/** Until the guest's hog reached its limit (init.sh prints "HOG: done total=N MiB"). */
async function growGuest(guest: Guest, notes: string[]): Promise<void> {
  const line = await guest.waitForConsole(/^HOG: done/, 120_000).catch(() => '');
  notes.push(`hog: ${line || `not done; console tail: ${guest.consoleText().split('\n').slice(-3).join(' / ')}`}`);
}

const SCENARIOS: GuestScenario[] = [
  {
    name: 'thp',
    what: 'THP always: guest RAM in 2 MiB pages; then a balloon inflate (MMU notifier unmaps)',
    captureRaw: true,
    setup: () => setThp('always'),
    options: { memoryMiB: 256, hogMiB: 16, hogLimitMiB: 96, hogIntervalS: 1 },
    run: async (guest, notes) => {
      await growGuest(guest, notes);
      notes.push(`ctl: ${await guest.ctl('freeall')}`);
      await guest.qmp('balloon', { value: 128 * 2 ** 20 });
      await sleep(4000);
      notes.push(`balloon: ${JSON.stringify(await guest.qmp('query-balloon'))}`);
    },
  },
  {
    name: '4k',
    what: 'THP never: guest RAM in 4 KiB pages only; on a two-node L1, guest RAM bound to node 1 (memory only) while its vCPU runs on node 0',
    setup: () => setThp('never'),
    teardown: () => setThp('always'),
    // QEMU binds guest RAM itself (a memory backend with host-nodes, as libvirt's
    // <numatune> does): the VM's memory is remote to its vCPU from its first page
    options: {
      memoryMiB: 256, hogMiB: 16, hogLimitMiB: 96, hogIntervalS: 1,
      ...(TWO_NODES ? { hostNode: 1 } : {}),
    },
    run: async (guest, notes) => {
      await growGuest(guest, notes);
      // faultline reads numa_maps (and where the vCPUs ran) every 10 intervals: one
      // reading of the grown guest, and its diagnosis
      if (TWO_NODES) await sleep(12_000);
    },
    numa: TWO_NODES,
  },
  {
    name: '1g',
    what: 'guest RAM on 1 GiB hugetlbfs pages (2 GiB guest: the 1-2 GiB range can map whole)',
    options: { memoryMiB: 2048, hogMiB: 16, hogLimitMiB: 64, hogIntervalS: 1, memPath: '/dev/hugepages1G' },
    run: async (guest, notes) => growGuest(guest, notes),
  },
  {
    name: 'swap',
    what: 'QEMU in a 112 MiB memory cgroup with swap: guest memory pushed to swap, then read back (async page faults)',
    setup: () => setThp('never'),
    teardown: () => setThp('always'),
    cgroup: { path: '/sys/fs/cgroup/lab-swap', memoryMax: 112 * 2 ** 20 },
    options: { memoryMiB: 256, hogMiB: 16, hogLimitMiB: 160, hogIntervalS: 1 },
    run: async (guest, notes) => {
      await growGuest(guest, notes);
      for (let i = 0; i < 3; i++) notes.push(`ctl: ${await guest.ctl('read', 120_000)}`);
    },
  },
];

function cgroupWrite(path: string, file: string, value: string): void {
  writeFileSync(join(path, file), value);
}

async function removeCgroup(path: string): Promise<void> {
  for (let i = 0; i < 50 && existsSync(path); i++) {
    try {
      rmdirSync(path);
    } catch {
      await sleep(100);
    }
  }
}

/** One retry when the L2 QEMU ends on its own before the workload is done (seen once
 * on trixie's L1: QEMU exited with code 0 3 s after `cont`, nothing on its console; the
 * nested guest under TCG-emulated SVM reset). The retry is named in the notes. */
async function runGuestScenarioWithRetry(s: GuestScenario, faultline: Faultline): Promise<ScenarioResult> {
  const first = await runGuestScenario(s, faultline);
  if (!first.error?.includes('QEMU exited')) return first;
  log(`${s.name}: the L2 QEMU ended on its own; once more`);
  const second = await runGuestScenario(s, faultline);
  second.notes.unshift(`retried: the first L2 QEMU (pid ${first.pid}) ended on its own: ${first.error.split('\n')[0]}`);
  return second;
}

async function runGuestScenario(s: GuestScenario, faultline: Faultline): Promise<ScenarioResult> {
  const notes: string[] = [];
  const result: ScenarioResult = {
    name: s.name, what: s.what, guestName: `lab-${s.name}`, uuid: '', pid: 0, memoryBytes: 0, guestRamStart: '', guestRamEnd: '',
    startMs: Date.now(), endMs: 0, reference: {}, debugfs: {}, debugfsWhileRunning: {}, smapsGuestRamBytes: 0, smapsMs: 0, smapsBlock: '', mapsText: '',
    vmstatDelta: {}, notes,
  };
  let guest: Guest | null = null;
  let reference: Reference | null = null;
  let stopRaw: (() => Promise<void>) | null = null;
  try {
    s.setup?.();
    guest = await startGuest({ ...s.options, name: result.guestName, accel: 'kvm', startPaused: true, disableThp: false });
    result.pid = guest.pid;
    result.uuid = guest.uuid;
    result.memoryBytes = guest.memoryBytes;
    const ram = guest.guestRamRange();
    result.guestRamStart = `0x${ram.start.toString(16)}`;
    result.guestRamEnd = `0x${ram.end.toString(16)}`;
    result.mapsText = readFileSync(`/proc/${guest.pid}/maps`, 'utf8');
    if (s.cgroup) {
      mkdirSync(s.cgroup.path, { recursive: true });
      cgroupWrite(s.cgroup.path, 'memory.max', String(s.cgroup.memoryMax));
      cgroupWrite(s.cgroup.path, 'cgroup.procs', String(guest.pid));
      notes.push(`cgroup ${s.cgroup.path}: memory.max ${s.cgroup.memoryMax}`);
    }
    log(`${s.name}: QEMU ${guest.pid} paused, guest RAM ${result.guestRamStart}-${result.guestRamEnd}; starting the reference`);
    reference = await startReference(REFERENCE_PROGRAM, [guest.pid, ram.start, ram.end]);
    stopRaw = s.captureRaw ? await startRawKvmCapture(join(OUT, `kvm-raw-${s.name}.ndjson`)) : null;
    const before = vmstat();
    result.startMs = Date.now();
    await guest.cont();
    log(`${s.name}: running`);
    await s.run(guest, notes);
    if (s.numa) result.numaReference = numaReference(guest.pid);
    result.debugfsWhileRunning = kvmDebugfs(guest.pid);
    await guest.qmp('stop');
    // everything the guest did is in the batches of the next two intervals
    await faultline.snapshotsMore(3);
    result.endMs = Date.now();
    result.debugfs = kvmDebugfs(guest.pid);
    const smaps = smapsResident(guest.pid, ram.start);
    result.smapsGuestRamBytes = smaps.bytes;
    result.smapsMs = Date.now();
    result.smapsBlock = smaps.block;
    await faultline.snapshotsMore(2); // a snapshot that read the same paused guest
    const after = vmstat();
    for (const k of ['pswpin', 'pswpout', 'pgmajfault', 'thp_fault_alloc', 'pgscan_direct', 'pgsteal_direct']) result.vmstatDelta[k] = (after[k] ?? 0) - (before[k] ?? 0);
    result.reference = await reference.stop();
    reference = null;
    await stopRaw?.();
    stopRaw = null;
    log(`${s.name}: done; reference ${JSON.stringify(result.reference).slice(0, 300)}`);
  } catch (error) {
    result.error = String((error as Error)?.stack ?? error);
    log(`${s.name}: FAILED ${result.error}`);
    if (guest) notes.push(`console tail: ${guest.consoleText().split('\n').slice(-8).join(' / ')}`);
  } finally {
    if (reference) await reference.stop().catch(() => undefined);
    if (stopRaw) await stopRaw().catch(() => undefined);
    if (guest) await guest.stop();
    if (s.cgroup) await removeCgroup(s.cgroup.path);
    s.teardown?.();
    result.endMs ||= Date.now();
  }
  return result;
}

/** A process (not a VM) in a 64 MiB memory cgroup without swap, allocating past it:
 * memcg reclaim stalls and an OOM kill. Reference: the cgroup's memory.events and a
 * bpftrace count of memcg reclaim in that cgroup (by cgroup id). */
async function runOomScenario(faultline: Faultline): Promise<Record<string, unknown>> {
  const path = '/sys/fs/cgroup/lab-oom';
  const out: Record<string, unknown> = { name: 'oom', startMs: Date.now() };
  try {
    mkdirSync(path, { recursive: true });
    cgroupWrite(path, 'memory.max', String(64 * 2 ** 20));
    cgroupWrite(path, 'memory.swap.max', '0');
    const cgroupId = statSync(path).ino;
    // each event a line, counted by startReference: its exit, which printed the maps
    // at END, once took over 60 s here on L1's one emulated vCPU and came back empty
    const reference = await startReference(`
BEGIN { printf("reference_ready\\n"); }
tracepoint:vmscan:mm_vmscan_memcg_reclaim_begin /cgroup == $1/ { printf("ref @memcg_reclaim %d\\n", pid); }
tracepoint:oom:mark_victim { printf("ref @victim %d\\n", args->pid); }
`, [cgroupId]);
    const binary = compiledProgram('alloc-forever');
    const child = spawn('sh', ['-c', `echo $$ > ${path}/cgroup.procs && exec ${binary} 8 50 400`], { stdio: 'ignore' });
    out.pid = child.pid;
    out.startMs = Date.now();
    const exit = await new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    out.exit = exit;
    await faultline.snapshotsMore(3);
    out.endMs = Date.now();
    out.memoryEvents = readFileSync(join(path, 'memory.events'), 'utf8');
    out.reference = await reference.stop();
    log(`oom: ${JSON.stringify(out).slice(0, 400)}`);
  } catch (error) {
    out.error = String((error as Error)?.stack ?? error);
    log(`oom: FAILED ${out.error}`);
  } finally {
    await removeCgroup(path);
  }
  return out;
}

// ------------------------------------------------------------ main

const results: Record<string, unknown> = {
  kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
  bpftrace: BPFTRACE,
  startedMs: Date.now(),
  scenarios: [] as ScenarioResult[],
};
const faultline = new Faultline();
try {
  log(`kernel ${results.kernel}; faultline with bpftrace ${BPFTRACE}`);
  await faultline.start();
  log(`faultline: first snapshot`);
  for (const s of SCENARIOS) (results.scenarios as ScenarioResult[]).push(await runGuestScenarioWithRetry(s, faultline));
  results.oom = await runOomScenario(faultline);
} catch (error) {
  results.error = String((error as Error)?.stack ?? error);
  log(`FAILED ${results.error}`);
} finally {
  results.faultlineExit = await faultline.stop();
  results.endedMs = Date.now();
  writeFileSync(join(OUT, 'results.json'), JSON.stringify(results, null, 1));
  log(`faultline exited ${results.faultlineExit}; results written`);
}
// a child left behind (a reference or capture that did not stop) must not hold L1 up
// until boot-l1's timeout: everything is written, leave
process.exit(results.error ? 1 : 0);
