// Write errors become one E_RECORDING_WRITE with what to do, reported once; the
// writer never throws into the live session, and what it wrote before still reads.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultlineError } from '../../src/model/errors.js';
import { RecordingWriter } from '../../src/record/writer.js';
import { openRecording } from '../../src/record/reader.js';
import { syntheticSnapshots } from './synthetic-snapshots.js';
import { testMeta } from './recording-bytes.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-writer-'));
let mounted = false;
after(() => {
  if (mounted) execFileSync('umount', [join(dir, 'small')]);
  rmSync(dir, { recursive: true, force: true });
});

test('a folder that does not exist: E_RECORDING_WRITE naming the path and the fix', async () => {
  await assert.rejects(RecordingWriter.open(join(dir, 'no/such/dir/x.flt'), testMeta()), (error: FaultlineError) => {
    assert.equal(error.code, 'E_RECORDING_WRITE');
    assert.match(error.message, /no\/such\/dir\/x\.flt: ENOENT/);
    assert.match(error.hint, /folder does not exist/);
    return true;
  });
});

test('a disk that is full from the start (/dev/full): ENOSPC at open', { skip: existsSync('/dev/full') ? false : 'no /dev/full' }, async () => {
  await assert.rejects(RecordingWriter.open('/dev/full', testMeta(), { overwrite: true }), (error: FaultlineError) => {
    assert.equal(error.code, 'E_RECORDING_WRITE');
    assert.match(error.message, /ENOSPC/);
    assert.match(error.hint, /disk is full/);
    return true;
  });
});

const canMount = process.getuid?.() === 0 ? false : 'needs root to mount a tiny tmpfs';
test('a disk that fills mid-recording: one error, later appends dropped, the file reads up to its last whole frame', { skip: canMount }, async () => {
  const small = join(dir, 'small');
  execFileSync('mkdir', ['-p', small]);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'faultline-test', small]);
  mounted = true;
  const errors: FaultlineError[] = [];
  const path = join(small, 'full.flt');
  const writer = await RecordingWriter.open(path, testMeta(), { onError: (e) => errors.push(e), framesPerChunk: 1 });
  let appended = 0;
  for (const snapshot of syntheticSnapshots({ vms: 20, snapshots: 200, seed: 5 })) {
    await writer.append({ snapshot }); // never rejects
    appended += 1;
  }
  assert.equal(appended, 200);
  assert.equal(errors.length, 1, 'reported once');
  assert.equal(errors[0]!.code, 'E_RECORDING_WRITE');
  assert.match(errors[0]!.message, /ENOSPC/);
  assert.ok(writer.framesWritten > 0 && writer.framesWritten < 200, `${writer.framesWritten} frames fit`);
  assert.equal(await writer.close(), errors[0]);
  const reader = await openRecording(path);
  let read = 0;
  for await (const _ of reader.snapshots()) read += 1;
  assert.equal(read, writer.framesWritten);
  assert.equal(reader.stats.corruptFramesSkipped, 0);
});
