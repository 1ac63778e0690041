// Real bpftrace, real kernel: probe groups started at different moments print on the
// same INTERVAL_MS boundaries of CLOCK_MONOTONIC (probes/README.md), so the live
// session can snapshot right after a boundary instead of waiting for each group's own
// phase. Checks every tick line's INDEX and NSECS against the boundary, the other
// groups, and Node's process.hrtime (the same clock).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { kernelGate, testBpftrace } from '../harness/kernel-gate.js';
import { endWithSigint } from '../harness/processes.js';
import { assembleGroup } from '../../src/probe/assemble-group.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const skip = kernelGate();
const INTERVAL_MS = 200;
/** A tick may print this long after its boundary: the 10 ms timer, plus a busy 2-core CI VM. */
const LATE_MS = 30;

interface Tick {
  group: string;
  intervalIndex: number;
  tickNs: number;
  /** process.hrtime when Node read the line */
  readNs: number;
}

const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts GROUP.bt; resolves once it printed faultline_ready. Ticks are pushed as they come. */
async function startProbe(group: string, ticks: Tick[], stderr: string[]): Promise<ChildProcess> {
  const program = (await assembleGroup(group, '/sys/kernel/tracing')).text;
  const child = spawn(testBpftrace(), ['-f', 'json', '-e', program, String(INTERVAL_MS)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(`${group}: ${line}`));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${group}.bt did not attach in 30 s:\n${stderr.join('\n')}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`${group}.bt exited (${code}) before it was ready:\n${stderr.join('\n')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const readNs = Number(process.hrtime.bigint());
      // the final tick (END, at stop) closes a partial interval before its boundary
      if (line.includes(' final\\n')) return;
      if (line.includes(`faultline_ready ${group}`)) {
        clearTimeout(timer);
        resolve(child);
      }
      const m = line.match(/"faultline_tick (\w+) (\d+) (\d+)\\n"/);
      if (m) ticks.push({ group: m[1]!, intervalIndex: Number(m[2]), tickNs: Number(m[3]), readNs });
      else if (line.includes('faultline_tick')) assert.fail(`${group}.bt printed a tick line without its clock: ${line}`);
    });
  });
}


const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('groups started at different moments tick on the same boundaries', { skip, timeout: 90_000 }, async (t) => {
  const ticks: Tick[] = [];
  const stderr: string[] = [];
  const groups = ['faults', 'growth', 'reclaim'];
  const started: ChildProcess[] = [];
  try {
    // staggered by a third of an interval and more, so their own attach phases differ
    for (const group of groups) {
      started.push(await startProbe(group, ticks, stderr));
      await sleep(INTERVAL_MS / 3 + 37);
    }
    const firstCommonIndex = Math.floor(Number(process.hrtime.bigint()) / (INTERVAL_MS * 1e6)) + 1;
    await sleep(INTERVAL_MS * 6);
    const common = [firstCommonIndex, firstCommonIndex + 1, firstCommonIndex + 2, firstCommonIndex + 3];
    for (const index of common) {
      for (const group of groups) {
        const tick = ticks.find((k) => k.group === group && k.intervalIndex === index);
        assert.ok(tick, `${group} printed no tick for interval ${index}; its ticks: ${ticks.filter((k) => k.group === group).map((k) => k.intervalIndex).join(' ')}`);
      }
    }
  } finally {
    for (const child of started) await endWithSigint(child, 5_000);
  }
  const intervalNs = INTERVAL_MS * 1e6;
  const lateMs = ticks.map((k) => (k.tickNs - k.intervalIndex * intervalNs) / 1e6);
  t.diagnostic(`${ticks.length} ticks, ms after their boundary: median ${lateMs.sort((a, b) => a - b)[lateMs.length >> 1]!.toFixed(1)}, max ${lateMs.at(-1)!.toFixed(1)}`);
  for (const k of ticks) {
    const afterBoundaryMs = (k.tickNs - k.intervalIndex * intervalNs) / 1e6;
    assert.ok(afterBoundaryMs >= 0 && afterBoundaryMs <= LATE_MS,
      `${k.group} tick ${k.intervalIndex} printed ${afterBoundaryMs.toFixed(1)} ms after its boundary (want 0-${LATE_MS})`);
    // INDEX is NSECS / interval, and NSECS is the clock Node reads: the line was read after it was printed
    assert.equal(k.intervalIndex, Math.floor(k.tickNs / intervalNs), `${k.group}: INDEX is not NSECS / interval`);
    // (bounds wide enough for a tick printed while another bpftrace was compiling and
    // attaching: 240 ms seen here; CLOCK_REALTIME would be off by decades)
    const readAfterMs = (k.readNs - k.tickNs) / 1e6;
    assert.ok(readAfterMs >= 0 && readAfterMs < 1000, `${k.group} tick read ${readAfterMs.toFixed(1)} ms after its NSECS: not the clock of process.hrtime`);
  }
  // one tick per group and interval: the 10 ms timer never prints an interval twice
  const seen = new Set(ticks.map((k) => `${k.group} ${k.intervalIndex}`));
  assert.equal(seen.size, ticks.length, 'a group printed the same interval twice');
  assert.ok(stderr.every((l) => !/error/i.test(l) || /RLIMIT_MEMLOCK/.test(l)), `bpftrace errors:\n${stderr.join('\n')}`);
});
