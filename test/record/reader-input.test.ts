// Bad input gets one clear FaultlineError; a good recording round-trips through a file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Snapshot } from '../../src/model/snapshot.js';
import { FaultlineError } from '../../src/model/errors.js';
import { bytesInput, openRecording } from '../../src/record/reader.js';
import { RecordingWriter } from '../../src/record/writer.js';
import { encodeHeader, HEADER_BYTES } from '../../src/record/flt-format.js';
import { frameToJson } from '../../src/proto/codec.js';
import { syntheticSnapshots } from './synthetic-snapshots.js';
import { buildRecording, testMeta } from './recording-bytes.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-reader-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

async function openError(bytes: Uint8Array): Promise<FaultlineError> {
  try {
    await openRecording(bytesInput('bad.flt', bytes));
  } catch (error) {
    assert.ok(error instanceof FaultlineError, String(error));
    return error;
  }
  assert.fail('opened without an error');
}

test('not a recording: JSON lines, random bytes, an empty file, a header cut short', async () => {
  const json = await openError(Buffer.from('{"seq":0,"timeMs":1764000000000}\n'));
  assert.equal(json.code, 'E_NOT_RECORDING');
  assert.match(json.message, /bad\.flt is not a faultline recording \(it looks like JSON/);
  assert.equal((await openError(Buffer.from('hello world, not a trace at all'))).code, 'E_NOT_RECORDING');
  const empty = await openError(new Uint8Array(0));
  assert.equal(empty.code, 'E_RECORDING_TRUNCATED');
  assert.match(empty.message, /is empty/);
  const built = await buildRecording({ snapshots: 1 });
  for (const cut of [3, HEADER_BYTES - 1, HEADER_BYTES, built.headerEnd - 1]) {
    const error = await openError(built.bytes.subarray(0, cut));
    assert.equal(error.code, 'E_RECORDING_TRUNCATED', `cut at ${cut}`);
    assert.match(error.message, /ends inside its header/);
  }
});

test('a newer format version is refused, naming both versions', async () => {
  const built = await buildRecording({ snapshots: 1 });
  const newer = Uint8Array.from(built.bytes);
  newer.set(encodeHeader(2), 0);
  const error = await openError(newer);
  assert.equal(error.code, 'E_RECORDING_VERSION');
  assert.match(error.message, /newer faultline \(recording format 2; this one reads up to 1\)/);
  assert.match(error.hint, /upgrade/);
});

test('a damaged header Meta is E_RECORDING_CORRUPT', async () => {
  const built = await buildRecording({ snapshots: 2 });
  const bytes = Uint8Array.from(built.bytes);
  bytes[HEADER_BYTES + 20]! ^= 0xff;
  assert.equal((await openError(bytes)).code, 'E_RECORDING_CORRUPT');
});

test('a missing file is E_RECORDING_READ with the path', async () => {
  await assert.rejects(openRecording(join(dir, 'missing.flt')), (error: FaultlineError) => {
    assert.equal(error.code, 'E_RECORDING_READ');
    assert.match(error.message, /missing\.flt: ENOENT/);
    return true;
  });
});

test('written with RecordingWriter, read back with openRecording: same Meta, same snapshots', async () => {
  const path = join(dir, 'roundtrip.flt');
  const meta = testMeta();
  const writer = await RecordingWriter.open(path, meta);
  const written: Snapshot[] = [];
  for (const snapshot of syntheticSnapshots({ vms: 5, snapshots: 130, seed: 3 })) {
    await writer.append({ snapshot });
    written.push((frameToJson({ snapshot }) as { snapshot: Snapshot }).snapshot);
  }
  assert.equal(await writer.close(), null);
  assert.equal(writer.framesWritten, 130);
  assert.equal(writer.bytesWritten, readFileSync(path).length);
  const reader = await openRecording(path);
  assert.deepEqual({ ...reader.meta, probeGroups: [...reader.meta.probeGroups] }, meta);
  const read: Snapshot[] = [];
  for await (const s of reader.snapshots()) read.push(s);
  assert.deepEqual(read, written);
  assert.deepEqual(reader.stats, { frames: 130, snapshots: 130, bytesIgnoredAtEnd: 0, corruptFramesSkipped: 0, damage: [] });
});

test('a recording is refused where one exists, unless overwrite', async () => {
  const path = join(dir, 'exists.flt');
  writeFileSync(path, 'precious');
  await assert.rejects(RecordingWriter.open(path, testMeta()), (error: FaultlineError) => {
    assert.equal(error.code, 'E_RECORDING_WRITE');
    assert.match(error.hint, /--force/);
    return true;
  });
  assert.equal(readFileSync(path, 'utf8'), 'precious');
  const writer = await RecordingWriter.open(path, testMeta(), { overwrite: true });
  assert.equal(await writer.close(), null);
  assert.equal((await openRecording(path)).meta.hostname, 'synthetic-host');
});

test('seek: a chunkOffset from one pass opens a reader at that chunk (a replay jumping in time)', async () => {
  const path = join(dir, 'seek.flt');
  const writer = await RecordingWriter.open(path, testMeta());
  for (const snapshot of syntheticSnapshots({ vms: 3, snapshots: 130, seed: 4 })) await writer.append({ snapshot });
  await writer.close();
  const offsets = new Map<number, number>();
  const first = await openRecording(path);
  for await (const s of first.snapshots()) offsets.set(s.seq, first.chunkOffset);
  assert.equal(new Set(offsets.values()).size, 3, 'chunks of 60: 0-59, 60-119, 120-129');
  assert.equal(offsets.get(100), offsets.get(60));
  const seek = await openRecording(path, { startAt: offsets.get(100)! });
  const seqs: number[] = [];
  for await (const s of seek.snapshots()) seqs.push(s.seq);
  assert.deepEqual(seqs, Array.from({ length: 70 }, (_, i) => 60 + i));
  assert.deepEqual(seek.stats.damage, []);
  assert.equal(seek.meta.hostname, 'synthetic-host');
});
