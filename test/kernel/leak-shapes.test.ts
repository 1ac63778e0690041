// The shape corpus on real processes: twelve processes whose anonymous memory follows
// the shapes of test/detect/shape-corpus.ts (test/fixtures/programs/rss-follow.c maps
// and unmaps 1 MiB chunks every 100 ms), under `faultline live --leak-window 20s`
// with real bpftrace and /proc. Only what the CLI says is checked: each row's
// process-growth finding in its JSON snapshots. Prints the verdict table (the one in
// docs/heuristics.md "Shape corpus"); about 90 s.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { kernelGate } from '../harness/kernel-gate.js';
import { compiledProgram } from '../harness/c-program.js';
import { REPO_ROOT, startLive, type LiveRun } from '../harness/faultline-live.js';
import { CORPUS, CORPUS_DURATION_S, CORPUS_WINDOW_S } from '../detect/shape-corpus.js';
import { checkOutcome, outcomeTable, type ShapeOutcome } from '../detect/shape-corpus.test.js';

const TICK_MS = 100;
const skip = kernelGate();
const children: ChildProcess[] = [];
let live: LiveRun | null = null;
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await live?.stop();
});

test('the shape corpus on real processes: the CLI gives each shape its verdict', { skip, timeout: 240_000 }, async (t) => {
  const dir = `${REPO_ROOT}test/.tmp/leak-shapes`;
  mkdirSync(dir, { recursive: true });
  const ticks = Math.ceil((CORPUS_DURATION_S + 10) * 1000 / TICK_MS);
  const followers = CORPUS.map((shape, i) => {
    const file = `${dir}/shape-${i}.txt`;
    const values = Array.from({ length: ticks }, (_, k) => Math.max(0, Math.round(shape.mib((k * TICK_MS) / 1000))));
    writeFileSync(file, `${values.join('\n')}\n`);
    const child = spawn(compiledProgram('rss-follow'), [String(TICK_MS), file], { stdio: ['pipe', 'ignore', 'inherit'] });
    children.push(child);
    return child;
  });
  const pidToShape = new Map(followers.map((c, i) => [c.pid!, i]));
  live = startLive([
    '--interval', '500ms', '--groups', 'growth', '--top', '0', '--leak-window', `${CORPUS_WINDOW_S}s`,
    ...followers.flatMap((c) => ['--pid', String(c.pid)]),
  ]);
  await live.waitFor(() => true, 60_000, 'the first snapshot (probes attached)');
  for (const c of followers) c.stdin!.write('go\n');
  const goMs = Date.now();
  await live.waitFor((s) => s.timeMs >= goMs + CORPUS_DURATION_S * 1000, (CORPUS_DURATION_S + 30) * 1000, `${CORPUS_DURATION_S} s of snapshots`);
  await live.stop();

  const outcomes: ShapeOutcome[] = CORPUS.map((shape) => ({ shape, verdicts: [] }));
  for (const s of live.snapshots) {
    if (s.timeMs < goMs) continue;
    for (const row of s.vms) {
      const i = pidToShape.get(row.pid);
      const finding = row.findings.find((f) => f.detector === 'process-growth');
      if (i === undefined) continue;
      assert.ok(finding, `pid ${row.pid} (${CORPUS[i]!.name}) has no process-growth finding: the CLI did not judge it`);
      outcomes[i]!.verdicts.push({ tS: (s.timeMs - goMs) / 1000, verdict: finding.verdict });
    }
  }
  for (const o of outcomes) assert.ok(o.verdicts.length > CORPUS_DURATION_S, `${o.shape.name}: ${o.verdicts.length} rows`);
  const table = outcomeTable(outcomes);
  console.log(table);
  writeFileSync(`${dir}/table.txt`, `${table}\n`);
  t.diagnostic(`table in ${dir}/table.txt`);
  assert.deepEqual(outcomes.flatMap(checkOutcome), []);
});
