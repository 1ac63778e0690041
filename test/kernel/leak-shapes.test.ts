// The shape corpus on real processes: twelve processes whose anonymous memory follows
// the shapes of test/detect/shape-corpus.ts (test/fixtures/programs/rss-follow.c maps
// and unmaps 1 MiB chunks every 100 ms), under `faultline live --leak-window 20s`
// with real bpftrace and /proc. Only what the CLI says is checked: each row's
// process-growth finding in its JSON snapshots. Prints the verdict table (the one in
// docs/heuristics.md "Shape corpus"); about 90 s.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { kernelGate } from '../harness/kernel-gate.js';
import { startFollowers } from '../harness/rss-followers.js';
import { REPO_ROOT, startLive, type LiveRun } from '../harness/faultline-live.js';
import { CORPUS, CORPUS_DURATION_S, CORPUS_WINDOW_S } from '../detect/shape-corpus.js';
import { checkOutcome, outcomeTable, type ShapeOutcome } from '../detect/shape-corpus.test.js';

const skip = kernelGate();
const children: ChildProcess[] = [];
let live: LiveRun | null = null;
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await live?.stop();
});

test('the shape corpus on real processes: the CLI gives each shape its verdict', { skip, timeout: 240_000 }, async (t) => {
  const dir = `${REPO_ROOT}test/.tmp/leak-shapes`;
  const followers = startFollowers(CORPUS, CORPUS_DURATION_S + 10, dir);
  children.push(...followers.children);
  live = startLive([
    '--interval', '500ms', '--groups', 'growth', '--top', '0', '--leak-window', `${CORPUS_WINDOW_S}s`,
    ...followers.children.flatMap((c) => ['--pid', String(c.pid)]),
  ]);
  await live.waitFor(() => true, 60_000, 'the first snapshot (probes attached)');
  const goMs = followers.go();
  await live.waitFor((s) => s.timeMs >= goMs + CORPUS_DURATION_S * 1000, (CORPUS_DURATION_S + 30) * 1000, `${CORPUS_DURATION_S} s of snapshots`);
  await live.stop();

  const outcomes: ShapeOutcome[] = CORPUS.map((shape) => ({ shape, verdicts: [] }));
  for (const s of live.snapshots) {
    if (s.timeMs < goMs) continue;
    for (const row of s.vms) {
      const i = followers.indexByPid.get(row.pid);
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
