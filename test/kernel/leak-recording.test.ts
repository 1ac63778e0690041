// A fresh recording of four real processes whose memory has known shapes (a
// sawtooth, a slow leak under churn, a plateau, a fast leak; test/detect/
// shape-corpus.ts), made by `faultline record --leak-window 20s`, then
// `faultline report --format json` and text: the report names exactly two leaking
// rows, the fast leak and the slow one (rate below the fast one's), each with one
// current finding per detector; the sawtooth and the plateau are ok and never were
// flagged. About 90 s.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { kernelGate } from '../harness/kernel-gate.js';
import { startFollowers } from '../harness/rss-followers.js';
import { cliCommand, REPO_ROOT, startCli, type LiveRun } from '../harness/faultline-live.js';
import { CORPUS, CORPUS_DURATION_S, CORPUS_WINDOW_S } from '../detect/shape-corpus.js';
import type { Report } from '../../src/record/report/build-report.js';

const skip = kernelGate();
const children: ChildProcess[] = [];
let recorder: LiveRun | null = null;
const dir = `${REPO_ROOT}test/.tmp/leak-recording`;
const file = `${dir}/four-shapes.flt`;
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await recorder?.stop();
});

const shape = (name: string) => CORPUS.find((s) => s.name === name)!;

test('a recording of a sawtooth, a slow leak under churn, a plateau and a leak: the report has exactly the two leaks', { skip, timeout: 240_000 }, async () => {
  const shapes = [shape('sawtooth, short period'), shape('slow leak under churn'), shape('plateau'), shape('fast leak')];
  const followers = startFollowers(shapes, CORPUS_DURATION_S + 10, dir);
  children.push(...followers.children);
  rmSync(file, { force: true });
  recorder = startCli([
    'record', '-o', file, '--json', '--interval', '500ms', '--groups', 'growth', '--top', '0', '--leak-window', `${CORPUS_WINDOW_S}s`,
    ...followers.children.flatMap((c) => ['--pid', String(c.pid)]),
  ]);
  await recorder.waitFor(() => true, 60_000, 'the first snapshot (probes attached)');
  const goMs = followers.go();
  await recorder.waitFor((s) => s.timeMs >= goMs + CORPUS_DURATION_S * 1000, (CORPUS_DURATION_S + 30) * 1000, `${CORPUS_DURATION_S} s recorded`);
  const stopped = await recorder.stop();
  assert.equal(stopped.code, 0, 'record exits 0 on SIGINT');

  const [command, args] = cliCommand(['report', file, '--format', 'json']);
  const json = spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(json.status, 0, json.stderr);
  const report = JSON.parse(json.stdout) as Report;
  const rowOf = (i: number) => report.vms.find((v) => v.pid === followers.children[i]!.pid)!;
  const rows = shapes.map((_, i) => rowOf(i));
  assert.ok(rows.every(Boolean), 'a row per process');
  const flagged = rows.filter((r) => r.leak.verdict === 'leak' || r.leak.verdict === 'suspect');
  assert.deepEqual(flagged.map((r) => r.pid).sort(), [rowOf(1).pid, rowOf(3).pid].sort(), report.vms.map((v) => `${v.pid} ${v.leak.verdict}`).join(', '));
  assert.equal(rowOf(3).leak.verdict, 'leak', 'the fast leak');
  assert.equal(rowOf(1).leak.verdict, 'leak', 'the slow leak under churn');
  assert.ok(rowOf(1).leak.growthBytesPerSec < rowOf(3).leak.growthBytesPerSec / 2, `slow ${rowOf(1).leak.growthBytesPerSec} vs fast ${rowOf(3).leak.growthBytesPerSec} B/s`);
  for (const r of rows) {
    const detectors = r.findings.map((f) => f.detector);
    assert.deepEqual(detectors, [...new Set(detectors)], `pid ${r.pid}: one finding per detector`);
  }
  for (const i of [0, 2]) {
    const r = rowOf(i);
    assert.equal(r.leak.verdict, 'ok', `${shapes[i]!.name}: ${r.leak.verdict}`);
    assert.ok(!r.verdictChanges.some((c) => c.to === 'leak' || c.to === 'suspect'), `${shapes[i]!.name} was flagged on the way: ${JSON.stringify(r.verdictChanges)}`);
  }
  const calm = new Set([rowOf(0).pid, rowOf(2).pid]);
  const wrong = report.events.filter((e) => e.type === 'leak-finding' && calm.has(e.pid));
  assert.deepEqual(wrong.map((e) => e.message), [], 'leak-finding events for the sawtooth or the plateau');

  const [tc, ta] = cliCommand(['report', file]);
  const text = spawnSync(tc, ta, { cwd: REPO_ROOT, encoding: 'utf8' }).stdout;
  assert.equal((text.match(/leak verdict \(current\): leak,/g) ?? []).length, 2, text);
  assert.match(text, /finding \[process-growth\] leak since .*\(its floor, between frees\)/);
  console.log(text.split('\n').filter((l) => /leak verdict|finding \[process-growth\]|verdict changes/.test(l)).join('\n'));
});
