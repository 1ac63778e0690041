// A recording cut short anywhere, or damaged in the middle, still reads: every whole
// frame before the damage, every frame of the chunks after it, and the reader says
// what it skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Snapshot } from '../../src/model/snapshot.js';
import { bytesInput, openRecording, describeDamage, type ReadStats } from '../../src/record/reader.js';
import { encodeRecord, RecordKind } from '../../src/record/flt-format.js';
import { buildRecording } from './recording-bytes.js';

async function readAll(bytes: Uint8Array, chunkBytes?: number): Promise<{ snapshots: Snapshot[]; stats: ReadStats }> {
  const reader = await openRecording(bytesInput('test.flt', bytes, chunkBytes));
  const snapshots: Snapshot[] = [];
  for await (const s of reader.snapshots()) snapshots.push(s);
  return { snapshots, stats: reader.stats };
}

for (const compress of [true, false]) {
  const mode = compress ? 'compressed chunks of 3 frames' : 'plain frames';

  test(`${mode}: cut at every byte offset of the last three frames, it reads up to the last whole frame`, async () => {
    const built = await buildRecording({ snapshots: 8, compress, framesPerChunk: 3 });
    const from = built.records.at(-3)!.start;
    for (let cut = from; cut <= built.bytes.length; cut++) {
      const whole = built.records.filter((r) => r.end <= cut);
      const { snapshots, stats } = await readAll(built.bytes.subarray(0, cut));
      assert.equal(snapshots.length, whole.length, `cut at ${cut}`);
      assert.deepEqual(snapshots, built.snapshots.slice(0, whole.length));
      assert.equal(stats.bytesIgnoredAtEnd, cut - whole.at(-1)!.end, `bytes ignored, cut at ${cut}`);
      assert.equal(stats.corruptFramesSkipped, 0);
      assert.deepEqual(stats.damage, []);
    }
  });

  test(`${mode}: a damaged middle frame is skipped, said so, and reading goes on`, async () => {
    const built = await buildRecording({ snapshots: 12, compress, framesPerChunk: 4 });
    const victim = 5; // second frame of the second chunk
    const bytes = Uint8Array.from(built.bytes);
    const r = built.records[victim]!;
    bytes[Math.floor((r.start + r.end) / 2)]! ^= 0xff;
    const { snapshots, stats } = await readAll(bytes);
    // compressed: the rest of that chunk depends on the damaged bytes (frames 5-7)
    const lost = compress ? [5, 6, 7] : [5];
    assert.deepEqual(snapshots.map((s) => s.seq), built.snapshots.map((s) => s.seq).filter((seq) => !lost.includes(seq)));
    assert.deepEqual(snapshots, built.snapshots.filter((s) => !lost.includes(s.seq)));
    assert.equal(stats.corruptFramesSkipped, lost.length);
    assert.equal(stats.damage.length, 1);
    assert.equal(stats.damage[0]!.offset, r.start);
    assert.equal(stats.bytesIgnoredAtEnd, 0);
    assert.match(describeDamage('test.flt', stats)!, new RegExp(`skipped ${lost.length} damaged frames? \\(\\d+ bytes at byte ${r.start}\\)`));
  });
}

test('a damaged length that claims more bytes than the file has is damage, not the end', async () => {
  const built = await buildRecording({ snapshots: 6, compress: true, framesPerChunk: 2 });
  const bytes = Uint8Array.from(built.bytes);
  const r = built.records[2]!; // a chunk start
  // the varint after SYNC and kind: make it claim ~10 MiB (under the limit, past the end)
  bytes.set([0x80, 0x80, 0x80, 0x05], r.start + 5);
  const { snapshots, stats } = await readAll(bytes);
  assert.deepEqual(snapshots.map((s) => s.seq), [0, 1, 4, 5]);
  assert.equal(stats.corruptFramesSkipped, 2);
  assert.equal(stats.bytesIgnoredAtEnd, 0);
});

test('a length over the limit, a wrong SYNC, or garbage between records: each one damaged place', async () => {
  const built = await buildRecording({ snapshots: 6, compress: false });
  const huge = Uint8Array.from(built.bytes);
  huge.set([0xff, 0xff, 0xff, 0xff, 0x0f], built.records[1]!.start + 5);
  const sync = Uint8Array.from(built.bytes);
  sync[built.records[3]!.start]! ^= 1;
  const garbage = Buffer.concat([built.bytes.subarray(0, built.records[2]!.start), Buffer.alloc(1000, 0xe5), built.bytes.subarray(built.records[2]!.start)]);
  for (const [name, bytes, lost] of [['huge length', huge, [1]], ['bad sync', sync, [3]], ['garbage', garbage, []]] as const) {
    const { snapshots, stats } = await readAll(bytes);
    assert.deepEqual(snapshots.map((s) => s.seq), [0, 1, 2, 3, 4, 5].filter((s) => !(lost as readonly number[]).includes(s)), name);
    assert.equal(stats.damage.length, 1, name);
    // garbage lost nothing, but a damaged place counts at least one frame
    assert.equal(stats.corruptFramesSkipped, Math.max(1, lost.length), name);
  }
});

test('reads the same however the bytes arrive (1 byte, 7 bytes, 4 KiB at a time)', async () => {
  const built = await buildRecording({ snapshots: 10, compress: true, framesPerChunk: 4 });
  const bytes = Uint8Array.from(built.bytes);
  bytes[built.records[6]!.start + 9]! ^= 0x55;
  const cut = bytes.subarray(0, built.records[9]!.end - 3);
  const expected = await readAll(cut);
  assert.deepEqual(expected.snapshots.map((s) => s.seq), [0, 1, 2, 3, 4, 5, 8]);
  for (const chunkBytes of [1, 7, 4096]) {
    const { snapshots, stats } = await readAll(cut, chunkBytes);
    assert.deepEqual(snapshots, expected.snapshots, `${chunkBytes} bytes at a time`);
    assert.deepEqual(stats, expected.stats);
  }
  assert.equal(expected.stats.bytesIgnoredAtEnd, built.records[9]!.end - 3 - built.records[9]!.start);
});

test('a chunk record whose bytes pass the CRC but are not brotli is damage; the next chunk reads', async () => {
  const built = await buildRecording({ snapshots: 6, compress: true, framesPerChunk: 3 });
  const bogus = encodeRecord(RecordKind.chunkStart, Buffer.from('this is not a brotli stream at all, but its CRC is right'));
  const at = built.records[0]!.start;
  const bytes = Buffer.concat([built.bytes.subarray(0, at), bogus, built.bytes.subarray(built.records[3]!.start)]);
  const { snapshots, stats } = await readAll(bytes);
  assert.deepEqual(snapshots.map((s) => s.seq), [3, 4, 5]);
  assert.equal(stats.damage.length, 1);
  assert.equal(stats.damage[0]!.offset, at);
});
