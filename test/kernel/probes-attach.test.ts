// Real bpftrace, real kernel: every probe group's program, assembled for this kernel
// from probes/GROUP.bt, compiles and attaches, says faultline_ready, ticks, prints
// nothing but JSON lines on stdout, and exits cleanly on one SIGINT; so do the four as
// one program, as faultline runs them. For faults.bt, a
// child that touches fresh pages is counted under its own pid. Then the programs
// assembled without a tracepoint (each kind of drift the assembler handles) attach
// too. Invocation as the supervisor does it:
//   bpftrace -f json -e PROGRAM INTERVAL_MS STALL_NS
// with the tests' bpftrace (FAULTLINE_BPFTRACE: the versions lane runs this file with
// 0.23 and 0.27).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { kernelGate, testBpftrace } from '../harness/kernel-gate.js';
import { assembleGroup } from '../../src/probe/assemble-group.js';
import { assembleProgram, parseProbeProgram, tracepointsOf } from '../../src/probe/probe-program.js';
import { readTracepointCatalog } from '../../src/probe/tracepoint-catalog.js';
import { probeFile } from '../../src/probe/probe-groups.js';
import { combinePrograms } from '../../src/probe/combine-programs.js';
import { parsePerfShow, probeCosts, type ProcessPrograms } from '../../src/probe/probe-cost.js';
import { GroupBatcher } from '../../src/parse/group-batcher.js';
import { parseBpftraceLine } from '../../src/parse/bpftrace-json.js';
import type { ProbeBatch } from '../../src/parse/probe-batch.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const skip = kernelGate();

const GROUPS = ['faults', 'kvm', 'reclaim', 'growth'];
const TRACEFS = '/sys/kernel/tracing';

// every child this file started, with a promise of its exit code once its stdio closed
const running = new Map<ChildProcess, Promise<number | null>>();
let tmp: string | null = null;
after(async () => {
  for (const child of running.keys()) await stop(child);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface ProbeRun {
  child: ChildProcess;
  lines: string[];
  stderr: string[];
  /** resolves once `ready(lines)` holds for the stdout lines so far; rejects after `ms` or on exit */
  waitFor(ready: (lines: string[]) => boolean, ms: number, what: string): Promise<void>;
}

function startProbe(group: string, program: string): ProbeRun {
  const child = spawn(testBpftrace(), ['-f', 'json', '-e', program, '200', '1000000'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  const lines: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const check of waiters) check();
  });
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const waitFor = (ready: (lines: string[]) => boolean, ms: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (ready(lines)) done(resolve);
      };
      const exited = () => done(() => reject(new Error(`bpftrace ${group} exited before ${what}; stderr:\n${stderr.join('\n')}`)));
      const timer = setTimeout(() => done(() => reject(new Error(`no ${what} from ${group}.bt in ${ms} ms; stderr:\n${stderr.join('\n')}`))), ms);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        child.off('exit', exited);
        settle();
      };
      waiters.add(check);
      child.once('exit', exited);
      check();
    });
  return { child, lines, stderr, waitFor };
}

function track(child: ChildProcess): Promise<number | null> {
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  running.set(child, closed);
  return closed;
}

/** One SIGINT (bpftrace then prints its maps and exits), SIGKILL after 5 s.
 *  Resolves with the exit code once stdout has been read to its end. */
async function stop(child: ChildProcess): Promise<number | null> {
  const exit = running.get(child) ?? Promise.resolve(child.exitCode);
  if (child.exitCode !== null || child.signalCode !== null) {
    running.delete(child);
    return exit;
  }
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  const code = await exit;
  clearTimeout(timer);
  running.delete(child);
  return code;
}

interface JsonRecord {
  type: string;
  data: unknown;
}

function parseLines(group: string, lines: string[]): JsonRecord[] {
  return lines
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as JsonRecord;
      } catch {
        assert.fail(`${group}.bt printed a stdout line that is not JSON: ${JSON.stringify(line)}`);
      }
    });
}

/** Sum of a map's values for keys whose first component is `pid`, over every batch. */
function sumForPid(records: JsonRecord[], map: string, pid: number): number {
  let total = 0;
  for (const r of records) {
    // both halves of the double-buffered map (@name__0, @name__1: probes/README.md)
    const data = r.type === 'map' ? (r.data as Record<string, unknown>) : {};
    const entries = data[`${map}__0`] ?? data[`${map}__1`] ?? data[map];
    if (!entries || typeof entries !== 'object') continue;
    for (const [key, value] of Object.entries(entries as Record<string, number>)) {
      if (key.split(',')[0] === String(pid)) total += value;
    }
  }
  return total;
}

/** Attach points in an assembled program (BEGIN, END, interval and tracepoints):
 * bpftrace reports at least this many in attached_probes. */
function probeStatements(program: string): number {
  return program.match(/^(BEGIN|END|(tracepoint|interval):\S+?),?$/gm)?.length ?? 0;
}

// touches PAGES fresh 4 KiB pages once each, then exits
const TOUCHER_C = `
#include <stdlib.h>
#include <sys/mman.h>
int main(int argc, char **argv) {
  long pages = atol(argv[1]);
  char *p = mmap(0, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 1;
  madvise(p, pages * 4096, MADV_NOHUGEPAGE);
  for (long i = 0; i < pages; i++) p[i * 4096] = 1;
  return 0;
}
`;
const PAGES = 4096; // 16 MiB: 256 of these pages have a page number that is 0 mod 16

function compileToucher(): string {
  tmp = mkdtempSync(join(tmpdir(), 'faultline-probes-attach-'));
  writeFileSync(join(tmp, 'toucher.c'), TOUCHER_C);
  execFileSync('cc', ['-O1', '-o', join(tmp, 'toucher'), join(tmp, 'toucher.c')], { stdio: 'inherit' });
  return join(tmp, 'toucher');
}

async function runChild(path: string, args: string[]): Promise<number> {
  const child = spawn(path, args, { stdio: 'ignore' });
  const code = await track(child);
  running.delete(child);
  assert.equal(code, 0, `${path} exited with ${code}`);
  return child.pid!;
}

for (const group of GROUPS) {
  test(`${group}.bt attaches, ticks, prints JSON lines only, exits on SIGINT`, { skip, timeout: 45_000 }, async (t) => {
    const program = await assembleGroup(group, TRACEFS);
    const expected = probeStatements(program.text);
    t.diagnostic(`${group}: ${program.points.filter((p) => p.state === 'attached').length} of ${program.points.length} tracepoints on this kernel`);
    assert.ok(expected >= 4, `${group}: the assembled program has ${expected} attach points`);
    const toucher = group === 'faults' ? compileToucher() : null;
    const run = startProbe(group, program.text);
    const has = (text: string) => (lines: string[]) => lines.some((l) => l.includes(text));
    const ticks = (lines: string[]) => lines.filter((l) => l.includes(`faultline_tick ${group}`)).length;
    let touchedPid = 0;
    let code: number | null = null;
    try {
      await run.waitFor(has(`faultline_ready ${group}`), 30_000, `faultline_ready ${group}`);
      if (toucher) {
        touchedPid = await runChild(toucher, [String(PAGES)]);
        // the interval that holds the touch, and one more
        const wanted = ticks(run.lines) + 2;
        await run.waitFor((lines) => ticks(lines) >= wanted, 10_000, 'two ticks after the touch');
      } else {
        await run.waitFor((lines) => ticks(lines) >= 1, 30_000, `faultline_tick ${group}`);
      }
    } finally {
      // a failed wait must not leave bpftrace running into the next test
      code = await stop(run.child);
    }


    assert.equal(code, 0, `bpftrace ${group} exit code after SIGINT; stderr:\n${run.stderr.join('\n')}`);
    const records = parseLines(group, run.lines);
    const attached = records.find((r) => r.type === 'attached_probes');
    assert.ok(attached, `${group}.bt printed no attached_probes record`);
    const probes = (attached.data as { probes: number }).probes;
    t.diagnostic(`${probes} probes attached, ${records.length} JSON records`);
    assert.ok(probes >= expected, `${group}.bt attached ${probes} probes, expected at least ${expected}`);
    // `faultline_tick GROUP INDEX NSECS`: the interval number on CLOCK_MONOTONIC and when it printed
    const tickLine = new RegExp(`^faultline_tick ${group} \\d+ \\d+\\n$`);
    assert.ok(records.some((r) => r.type === 'printf' && tickLine.test(String(r.data))), 'tick line is exact');

    if (toucher) {
      const user = sumForPid(records, '@fault_user', touchedPid);
      const sampled = sumForPid(records, '@fault_region_sampled', touchedPid);
      t.diagnostic(`pid ${touchedPid} touched ${PAGES} pages: @fault_user ${user}, @fault_region_sampled ${sampled}`);
      assert.ok(user >= PAGES, `@fault_user[${touchedPid}] = ${user}, expected at least ${PAGES} (one per touched page)`);
      assert.ok(sampled >= PAGES / 16, `@fault_region_sampled for ${touchedPid} = ${sampled}, expected at least ${PAGES / 16}`);
    }
  });
}

// The four groups as faultline runs them: one program (src/probe/combine-programs.ts) in
// one bpftrace. Every group says ready and ticks on its own clock, its output goes back
// to it alone, and its BPF programs are found by attach target and load order
// (src/probe/probe-cost.ts): checked here against the maps each program uses, as the
// kernel lists them (growth's sched_process_exit program uses @brk_last, faults' none).
test('the four groups as one program: attach, each ticks, output and BPF programs go back to their groups', { skip, timeout: 60_000 }, async (t) => {
  const combined = combinePrograms(await Promise.all(GROUPS.map((g) => assembleGroup(g, TRACEFS))));
  const run = startProbe('all', combined.text);
  const ticks = (lines: string[], group: string) => lines.filter((l) => l.includes(`faultline_tick ${group} `)).length;
  let code: number | null = null;
  let owners: { group: string; target: string; maps: string[] }[] = [];
  try {
    await run.waitFor((lines) => GROUPS.every((g) => lines.some((l) => l.includes(`faultline_ready ${g}`))), 45_000, 'every group\'s faultline_ready');
    await run.waitFor((lines) => GROUPS.every((g) => ticks(lines, g) >= 2), 20_000, 'two ticks of every group');
    owners = programsWithMaps(run.child.pid!, combined.programs);
  } finally {
    code = await stop(run.child);
  }
  assert.equal(code, 0, `exit code; stderr:\n${run.stderr.join('\n')}`);
  const records = parseLines('all', run.lines);
  const attached = (records.find((r) => r.type === 'attached_probes')?.data as { probes: number } | undefined)?.probes ?? 0;
  assert.ok(attached >= probeStatements(combined.text), `${attached} probes attached, expected at least ${probeStatements(combined.text)}`);

  const batches: ProbeBatch[] = [];
  const ready: string[] = [];
  const batcher = new GroupBatcher(combined.routes, { onReady: (g) => ready.push(g), onBatch: (b) => batches.push(b) });
  for (const line of run.lines) {
    const parsed = parseBpftraceLine(line);
    assert.ok(parsed.ok, line);
    for (const record of parsed.records) batcher.push(record);
  }
  batcher.flush();
  assert.deepEqual(ready.sort(), [...GROUPS].sort());
  for (const group of GROUPS) {
    const own = batches.filter((b) => b.group === group && b.complete && b.intervalIndex !== undefined);
    assert.ok(own.length >= 2, `${group}: ${own.length} whole intervals`);
    assert.ok(own.at(-1)!.final, `${group}: its END's final batch comes last`);
  }

  t.diagnostic(`programs: ${owners.map((o) => `${o.group}:${o.target}[${o.maps.join(' ')}]`).join(', ')}`);
  const exits = owners.filter((o) => o.target === 'sched_process_exit');
  assert.deepEqual(exits.map((o) => o.group), ['faults', 'growth'], 'one exit program each');
  assert.ok(exits[1]!.maps.some((m) => m.includes('brk_last')), `growth's exit program uses @brk_last: ${exits[1]!.maps}`);
  assert.ok(!exits[0]!.maps.some((m) => m.includes('brk_last')), `faults' exit program does not: ${exits[0]!.maps}`);
  // every program on a tracepoint of one group only uses no other group's maps
  const prefixes: Record<string, RegExp> = { faults: /^(AT_)?fault/, kvm: /^(AT_)?kvm/, reclaim: /^(AT_)?(reclaim|kswapd|lru|compaction)/, growth: /^(AT_)?(mmap|munmap|brk|madvise|growth)/ };
  for (const o of owners) {
    const foreign = o.maps.filter((m) => Object.entries(prefixes).some(([g, re]) => g !== o.group && re.test(m)));
    assert.deepEqual(foreign, [], `${o.group}:${o.target} uses another group's map`);
  }
});

/** The BPF programs of bpftrace `pid`, each with the group probeCosts (probe-cost.ts)
 * gives it and the names of the maps the kernel says it uses. */
function programsWithMaps(pid: number, programs: ProcessPrograms): { group: string; target: string; maps: string[] }[] {
  const bpftool = (args: string[]) => JSON.parse(execFileSync('bpftool', [...args, '--json'], { encoding: 'utf8' })) as Record<string, unknown>[];
  const mapNames = new Map(bpftool(['map', 'show']).map((m) => [m.id as number, String(m.name ?? '')]));
  const mapIds = new Map(bpftool(['prog', 'show']).map((p) => [p.id as number, (p.map_ids as number[] | undefined) ?? []]));
  // one run of (program id) ns each: a cost row's ns per event is its program's id
  const sample = {
    timeMs: 0,
    programs: new Map([...mapIds.keys()].map((id) => [id, { id, name: '', runTimeNs: id, runCount: 1 }])),
    attachments: parsePerfShow(JSON.stringify(bpftool(['perf', 'show']))),
  };
  return probeCosts(null, sample, new Map([[pid, programs]]))
    .filter((c) => c.program.startsWith('tracepoint:'))
    .map((c) => ({ group: c.group, target: c.program.slice('tracepoint:'.length), maps: (mapIds.get(c.nsPerEvent) ?? []).map((id) => mapNames.get(id) ?? '') }));
}

// Each kind of kernel drift the assembler handles (src/probe/probe-program.ts), made on
// this kernel by leaving points out of its real catalog: the program that results must
// still compile and attach with real bpftrace.
const DRIFT: { group: string; without: string[]; noField?: [string, string]; what: string }[] = [
  { group: 'faults', without: ['filemap:mm_filemap_fault'], what: 'a block and its map left out (6.1)' },
  { group: 'reclaim', without: ['vmscan:mm_vmscan_direct_reclaim_begin'], what: 'a block that needs a dropped block left out' },
  { group: 'reclaim', without: [], noField: ['oom:mark_victim', 'anon_rss'], what: 'mark_victim in its pid-only shape' },
  { group: 'growth', without: ['syscalls:sys_exit_brk'], what: 'blocks left with nothing to do left out' },
  { group: 'kvm', without: ['kvmmmu:kvm_mmu_spte_requested', 'kvm:kvm_try_async_get_page'], what: 'KVM points missing' },
];

for (const drift of DRIFT) {
  test(`${drift.group} without ${[...drift.without, ...(drift.noField ? [drift.noField.join('.')] : [])].join(', ')}: ${drift.what}, attaches`, { skip, timeout: 30_000 }, async () => {
    const program = parseProbeProgram(drift.group, readFileSync(probeFile(drift.group as never), 'utf8'));
    const catalog = new Map(await readTracepointCatalog(TRACEFS, tracepointsOf(program)));
    for (const tp of drift.without) assert.ok(catalog.delete(tp), `${tp} is on this kernel, so leaving it out is a test`);
    if (drift.noField) {
      const [tp, field] = drift.noField;
      catalog.set(tp, new Set([...catalog.get(tp)!].filter((f) => f !== field)));
    }
    const assembled = assembleProgram(program, catalog);
    const run = startProbe(drift.group, assembled.text);
    try {
      await run.waitFor((lines) => lines.some((l) => l.includes(`faultline_tick ${drift.group}`)), 20_000, `a tick from ${drift.group} (assembled without ${drift.without.join(', ')})`);
    } finally {
      const code = await stop(run.child);
      assert.equal(code, 0, `exit code; stderr:\n${run.stderr.join('\n')}`);
    }
  });
}

