import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from '../../src/record/crc32.js';
import { decodeVarint, encodeVarint } from '../../src/record/varint.js';
import {
  encodeHeader, encodeRecord, findSync, HEADER_BYTES, MAX_PAYLOAD_BYTES, parseHeader, recordAt, RecordKind, SYNC,
} from '../../src/record/flt-format.js';

test('crc32 matches the IEEE check value and zlib', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  const bytes = Buffer.from('faultline records');
  assert.equal(crc32(bytes, 5), crc32(bytes.subarray(5)));
  assert.equal(crc32(bytes, 5, bytes.length, crc32(bytes, 0, 5)), crc32(bytes), 'continues a previous crc');
});

test('varints are protobuf lengths and say when bytes ran out or cannot be a length', () => {
  for (const n of [0, 1, 127, 128, 300, 16_384, MAX_PAYLOAD_BYTES, 2 ** 32]) {
    const bytes = encodeVarint(n);
    assert.deepEqual(decodeVarint(bytes, 0), { value: n, length: bytes.length });
  }
  assert.deepEqual([...encodeVarint(300)], [0xac, 0x02]);
  assert.equal(decodeVarint(Uint8Array.from([0x80, 0x80]), 0), 'incomplete');
  assert.equal(decodeVarint(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 0), 'invalid');
  assert.throws(() => encodeVarint(-1));
});

test('header: magic and version; anything else is not a recording', () => {
  const header = encodeHeader(1);
  assert.equal(header.length, HEADER_BYTES);
  assert.deepEqual(parseHeader(header), { ok: true, version: 1 });
  assert.deepEqual(parseHeader(encodeHeader(7)), { ok: true, version: 7 });
  assert.deepEqual(parseHeader(header.subarray(0, 10)), { ok: false, problem: 'truncated' });
  assert.deepEqual(parseHeader(Buffer.from('{"seq":0,"timeMs"')), { ok: false, problem: 'not-recording' });
  assert.deepEqual(parseHeader(encodeHeader(0)), { ok: false, problem: 'not-recording' });
});

test('a record reads back; any changed byte makes it damaged, any cut makes it incomplete', () => {
  const payload = Buffer.from('a protobuf frame would be here');
  const record = encodeRecord(RecordKind.chunkStart, payload);
  const whole = recordAt(record, 0, record.length);
  assert.ok(whole.ok);
  assert.equal(whole.kind, RecordKind.chunkStart);
  assert.deepEqual(Buffer.from(record.subarray(whole.payloadStart, whole.payloadEnd)), payload);
  assert.equal(whole.end, record.length);
  for (let cut = 0; cut < record.length; cut++) assert.deepEqual(recordAt(record, 0, cut), { ok: false, problem: 'incomplete' }, `cut at ${cut}`);
  for (let i = 0; i < record.length; i++) {
    const bad = Uint8Array.from(record);
    bad[i]! ^= 0x10;
    const read = recordAt(bad, 0, bad.length);
    // a flipped length bit may make it claim more bytes than there are: incomplete, not whole
    assert.equal(read.ok, false, `byte ${i} flipped`);
  }
});

test('a record claiming a huge length is damaged at once (no allocation, no waiting)', () => {
  const huge = Uint8Array.from([...SYNC, RecordKind.frame, ...encodeVarint(MAX_PAYLOAD_BYTES + 1)]);
  assert.deepEqual(recordAt(huge, 0, huge.length), { ok: false, problem: 'damaged' });
  assert.throws(() => encodeRecord(RecordKind.frame, new Uint8Array(MAX_PAYLOAD_BYTES + 1)), RangeError);
});

test('findSync finds the marker anywhere, and only whole', () => {
  const bytes = Uint8Array.from([1, 2, ...SYNC, 3, ...SYNC.subarray(0, 3)]);
  assert.equal(findSync(bytes, 0, bytes.length), 2);
  assert.equal(findSync(bytes, 3, bytes.length), -1);
});
