// The shape corpus on real processes: twelve processes whose anonymous memory follows
// the shapes of test/detect/shape-corpus.ts (test/fixtures/programs/rss-follow.c maps
// and unmaps 1 MiB chunks every 100 ms), under `faultline record --json
// --leak-window 20s` with real bpftrace and /proc. Only what the CLI says is checked:
//   1. each row's process-growth finding in the snapshots it printed: the verdict
//      table (the one in docs/heuristics.md "Shape corpus");
//   2. `faultline report` of the fresh recording: its sawtooth, slow leak under churn,
//      plateau and fast leak are exactly one leak and one slow leak (issue 14's "done
//      when"), and over all twelve the leaking rows are exactly the shapes that leak,
//      each with one current finding per detector. About 100 s.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { kernelGate } from '../harness/kernel-gate.js';
import { startFollowers } from '../harness/rss-followers.js';
import { cliCommand, REPO_ROOT, startCli, type LiveRun } from '../harness/faultline-live.js';
import { CORPUS, CORPUS_DURATION_S, CORPUS_WINDOW_S } from '../detect/shape-corpus.js';
import { checkOutcome, outcomeTable, type ShapeOutcome } from '../detect/shape-corpus.test.js';
import type { Report } from '../../src/record/report/build-report.js';

const skip = kernelGate();
const children: ChildProcess[] = [];
let recorder: LiveRun | null = null;
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await recorder?.stop();
});

const DIR = `${REPO_ROOT}test/.tmp/leak-shapes`;
const FILE = `${DIR}/corpus.flt`;
const LEAKING = new Set(['fast leak', 'slow leak under churn', 'leak with occasional frees', 'fragmentation (RSS climbs ever slower)']);

function cli(args: string[]): string {
  const [command, argv] = cliCommand(args);
  const r = spawnSync(command, argv, { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('the shape corpus on real processes: the CLI gives each shape its verdict, and the report of the recording names exactly the leaks', { skip, timeout: 300_000 }, async (t) => {
  const followers = startFollowers(CORPUS, CORPUS_DURATION_S + 10, DIR);
  children.push(...followers.children);
  rmSync(FILE, { force: true });
  recorder = startCli([
    'record', '-o', FILE, '--json', '--interval', '500ms', '--groups', 'growth', '--top', '0', '--leak-window', `${CORPUS_WINDOW_S}s`,
    ...followers.children.flatMap((c) => ['--pid', String(c.pid)]),
  ]);
  await recorder.waitFor(() => true, 60_000, 'the first snapshot (probes attached)');
  const goMs = followers.go();
  await recorder.waitFor((s) => s.timeMs >= goMs + CORPUS_DURATION_S * 1000, (CORPUS_DURATION_S + 30) * 1000, `${CORPUS_DURATION_S} s of snapshots`);
  const stopped = await recorder.stop();
  assert.equal(stopped.code, 0, 'record exits 0 on SIGINT');

  // 1. the verdicts the CLI printed, snapshot by snapshot
  const outcomes: ShapeOutcome[] = CORPUS.map((shape) => ({ shape, verdicts: [] }));
  for (const s of recorder.snapshots) {
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
  writeFileSync(`${DIR}/table.txt`, `${table}\n`);
  t.diagnostic(`table in ${DIR}/table.txt`);
  assert.deepEqual(outcomes.flatMap(checkOutcome), []);

  // 2. the report of the recording
  const report = JSON.parse(cli(['report', FILE, '--format', 'json'])) as Report;
  const rowOf = (name: string) => {
    const pid = followers.children[CORPUS.findIndex((s) => s.name === name)]!.pid;
    const row = report.vms.find((v) => v.pid === pid);
    assert.ok(row, `no report row for ${name} (pid ${pid})`);
    return row;
  };
  const flagged = (name: string): boolean => ['leak', 'suspect'].includes(rowOf(name).leak.verdict);
  const four = ['sawtooth, short period', 'slow leak under churn', 'plateau', 'fast leak'];
  assert.deepEqual(four.filter(flagged), ['slow leak under churn', 'fast leak']);
  assert.equal(rowOf('fast leak').leak.verdict, 'leak');
  assert.equal(rowOf('slow leak under churn').leak.verdict, 'leak');
  const slow = rowOf('slow leak under churn').leak.growthBytesPerSec;
  const fast = rowOf('fast leak').leak.growthBytesPerSec;
  assert.ok(slow < fast / 2, `slow ${slow} vs fast ${fast} B/s`);
  assert.deepEqual(CORPUS.map((s) => s.name).filter(flagged), CORPUS.map((s) => s.name).filter((n) => LEAKING.has(n)));
  for (const name of ['sawtooth, short period', 'plateau']) {
    assert.ok(!rowOf(name).verdictChanges.some((c) => c.to === 'leak' || c.to === 'suspect'), `${name} flagged on the way: ${JSON.stringify(rowOf(name).verdictChanges)}`);
  }
  for (const r of report.vms) {
    const detectors = r.findings.map((f) => f.detector);
    assert.deepEqual(detectors, [...new Set(detectors)], `pid ${r.pid}: one finding per detector`);
  }
  const calm = new Set(CORPUS.filter((s) => s.neverFlagged).map((s) => rowOf(s.name).pid));
  const wrong = report.events.filter((e) => e.type === 'leak-finding' && calm.has(e.pid));
  assert.deepEqual(wrong.map((e) => e.message), [], 'leak-finding events for a shape that never leaks');
  const text = cli(['report', FILE]);
  assert.equal((text.match(/leak verdict \(current\): leak,/g) ?? []).length, LEAKING.size, text);
  assert.match(text, /finding \[process-growth\] leak since .*\(its floor, between frees\)/);
});
