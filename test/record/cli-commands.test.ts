// The record, report and export commands as a user runs them (the real CLI, from
// source): bad input gets one clear error line and a non-zero exit; a damaged
// recording is still reported, with one warning line and exit status 3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliCommand, REPO_ROOT } from '../harness/faultline-live.js';
import { encodeHeader } from '../../src/record/flt-format.js';
import { utcTime } from '../../src/record/report/words.js';
import { buildRecording } from './recording-bytes.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function faultline(...args: string[]): { status: number | null; stdout: string; stderr: string[] } {
  const [command, argv] = cliCommand(args);
  const run = spawnSync(command, argv, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr.split('\n').filter(Boolean) };
}

test('not a recording, a newer format: one error line naming the file, exit 1', async () => {
  const json = join(dir, 'live.json');
  writeFileSync(json, '{"seq":0}\n');
  const notRecording = faultline('report', json);
  assert.equal(notRecording.status, 1);
  assert.match(notRecording.stderr[0]!, /^faultline: error E_NOT_RECORDING: .*live\.json is not a faultline recording/);
  assert.equal(notRecording.stdout, '');

  const built = await buildRecording({ snapshots: 2 });
  const newer = Uint8Array.from(built.bytes);
  newer.set(encodeHeader(9), 0);
  writeFileSync(join(dir, 'newer.flt'), newer);
  const version = faultline('export', join(dir, 'newer.flt'), '-o', join(dir, 'x.json'));
  assert.equal(version.status, 1);
  assert.match(version.stderr[0]!, /^faultline: error E_RECORDING_VERSION: .*recording format 9; this one reads up to 1/);
});

test('a truncated recording and one with a damaged middle frame: reported, a warning line for each problem, exit 3', async () => {
  const built = await buildRecording({ snapshots: 8, framesPerChunk: 3 });
  const cut = join(dir, 'cut.flt');
  writeFileSync(cut, built.bytes.subarray(0, built.records.at(-1)!.end - 7));
  const truncated = faultline('report', cut, '--format', 'json');
  assert.equal(truncated.status, 3);
  const { recording } = JSON.parse(truncated.stdout) as { recording: { snapshots: number; stillOpen: boolean } };
  assert.deepEqual({ snapshots: recording.snapshots, stillOpen: recording.stillOpen }, { snapshots: 7, stillOpen: true });
  // a last frame cut short: its writer is writing it or stopped before it finished
  assert.deepEqual(truncated.stderr, [
    `faultline: warning: ${cut}: recording still open (being written, or its writer stopped without closing it): the report covers up to ${utcTime(built.snapshots[6]!.timeMs)}`,
    `faultline: warning: ${cut}: ignored the last ${built.records.at(-1)!.end - 7 - built.records.at(-1)!.start} bytes (the recording was cut short inside its last frame)`,
  ]);

  const damaged = Uint8Array.from(built.bytes);
  damaged[built.records[4]!.start + 12]! ^= 0xff;
  const bad = join(dir, 'damaged.flt');
  writeFileSync(bad, damaged);
  const report = faultline('report', bad);
  assert.equal(report.status, 3);
  assert.match(report.stdout, /recording damaged: 2 damaged frames skipped/);
  assert.equal(report.stderr.length, 1);
  assert.match(report.stderr[0]!, /^faultline: warning: .*damaged\.flt: skipped 2 damaged frames \(\d+ bytes at byte \d+\) and read on past them$/);
});

test('record: -o is required; an existing file is refused before tracing starts', () => {
  const missing = faultline('record');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr[0]!, /^faultline: error E_USAGE: record needs -o FILE/);
  const existing = join(dir, 'keep.flt');
  writeFileSync(existing, 'an earlier incident');
  const refused = faultline('record', '-o', existing);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr[0]!, /^faultline: error E_RECORDING_WRITE: cannot write the recording .*keep\.flt: EEXIST/);
  assert.match(refused.stderr[1]!, /--force/);
  assert.equal(readFileSync(existing, 'utf8'), 'an earlier incident');
});
