// The .flt recording format: constants, the file header and one record's bytes.
// Pure. docs/recording-format.md describes the format for people; this file is the
// definition.
//
//   file    := header record*
//   header  := magic(8) version(u32 LE)          then a record of kind F holding a Meta Frame
//   record  := sync(4) kind(1) length(varint) payload(length) crc32(u32 LE)
//              crc32 covers kind, length and payload (IEEE CRC-32, as zlib and PNG)
//   kind F  := payload is one protobuf Frame
//   kind K  := payload starts a brotli stream ("chunk"); kind C continues it
//   a chunk's payloads, concatenated and decompressed, are length-delimited Frames
//   (varint length, as protobufjs encodeDelimited writes), one Frame per record
import { crc32 } from './crc32.js';
import { decodeVarint, encodeVarint } from './varint.js';

/** "\x89FLT\r\n\x1a\n": the high byte catches 7-bit transfers, CRLF and ^Z text-mode mangling (as PNG). */
export const MAGIC = Uint8Array.from([0x89, 0x46, 0x4c, 0x54, 0x0d, 0x0a, 0x1a, 0x0a]);
export const RECORDING_FORMAT_VERSION = 1;
export const HEADER_BYTES = MAGIC.length + 4;
/** Starts every record: what the reader looks for to resync after damage. */
export const SYNC = Uint8Array.from([0xe5, 0x46, 0x4c, 0x72]);
export const CRC_BYTES = 4;
/** A record or frame claiming more than this is damage, never an allocation. */
export const MAX_PAYLOAD_BYTES = 16 * 2 ** 20;

export const RecordKind = { frame: 0x46, chunkStart: 0x4b, chunkNext: 0x43 } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export function isRecordKind(byte: number): byte is RecordKind {
  return byte === RecordKind.frame || byte === RecordKind.chunkStart || byte === RecordKind.chunkNext;
}

export function encodeHeader(version = RECORDING_FORMAT_VERSION): Uint8Array {
  const header = new Uint8Array(HEADER_BYTES);
  header.set(MAGIC, 0);
  new DataView(header.buffer).setUint32(MAGIC.length, version, true);
  return header;
}

export type HeaderRead =
  | { ok: true; version: number }
  | { ok: false; problem: 'not-recording' | 'truncated' };

/** `bytes` are the file's first bytes (all of them when the file is shorter than a header). */
export function parseHeader(bytes: Uint8Array): HeaderRead {
  const magicPart = bytes.subarray(0, MAGIC.length);
  if (!magicPart.every((b, i) => b === MAGIC[i])) return { ok: false, problem: 'not-recording' };
  if (bytes.length < HEADER_BYTES) return { ok: false, problem: 'truncated' };
  const version = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES).getUint32(MAGIC.length, true);
  return version === 0 ? { ok: false, problem: 'not-recording' } : { ok: true, version };
}

export function encodeRecord(kind: RecordKind, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_PAYLOAD_BYTES) throw new RangeError(`record payload of ${payload.length} bytes is over ${MAX_PAYLOAD_BYTES}`);
  const length = encodeVarint(payload.length);
  const record = new Uint8Array(SYNC.length + 1 + length.length + payload.length + CRC_BYTES);
  record.set(SYNC, 0);
  record[SYNC.length] = kind;
  record.set(length, SYNC.length + 1);
  record.set(payload, SYNC.length + 1 + length.length);
  const crcAt = record.length - CRC_BYTES;
  new DataView(record.buffer).setUint32(crcAt, crc32(record, SYNC.length, crcAt), true);
  return record;
}

export type RecordAt =
  | { ok: true; kind: RecordKind; payloadStart: number; payloadEnd: number; end: number }
  /** the bytes stop before the record does */
  | { ok: false; problem: 'incomplete' }
  /** not a record: no sync, bad kind, bad or huge length, or a CRC mismatch */
  | { ok: false; problem: 'damaged' };

/** The record starting at bytes[start], if bytes[start, end) hold one. */
export function recordAt(bytes: Uint8Array, start: number, end: number): RecordAt {
  const incomplete = { ok: false, problem: 'incomplete' } as const;
  const damaged = { ok: false, problem: 'damaged' } as const;
  for (let i = 0; i < SYNC.length; i++) {
    if (start + i >= end) return incomplete;
    if (bytes[start + i] !== SYNC[i]) return damaged;
  }
  const kindAt = start + SYNC.length;
  if (kindAt >= end) return incomplete;
  const kind = bytes[kindAt]!;
  if (!isRecordKind(kind)) return damaged;
  const length = decodeVarint(bytes, kindAt + 1, end);
  if (length === 'incomplete') return incomplete;
  if (length === 'invalid' || length.value > MAX_PAYLOAD_BYTES) return damaged;
  const payloadStart = kindAt + 1 + length.length;
  const payloadEnd = payloadStart + length.value;
  const recordEnd = payloadEnd + CRC_BYTES;
  if (recordEnd > end) return incomplete;
  const stored = new DataView(bytes.buffer, bytes.byteOffset + payloadEnd, CRC_BYTES).getUint32(0, true);
  if (stored !== crc32(bytes, kindAt, payloadEnd)) return damaged;
  return { ok: true, kind, payloadStart, payloadEnd, end: recordEnd };
}

/** Index of the next SYNC at or after `from`, or -1. */
export function findSync(bytes: Uint8Array, from: number, end: number): number {
  for (let i = Math.max(0, from); i + SYNC.length <= end; i++) {
    let hit = bytes[i] === SYNC[0];
    for (let k = 1; hit && k < SYNC.length; k++) hit = bytes[i + k] === SYNC[k];
    if (hit) return i;
  }
  return -1;
}
