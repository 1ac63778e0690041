// Unsigned LEB128 varints (protobuf's length prefix), up to 2^35. Pure. Decoding
// says whether the bytes ran out (a file cut short) or cannot be a length at all.

export type VarintRead = { value: number; length: number } | 'incomplete' | 'invalid';

/** At most 5 bytes: a record or frame is far below 2^35 bytes. */
const MAX_VARINT_BYTES = 5;

export function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint: ${value} is not a length`);
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

export function decodeVarint(bytes: Uint8Array, start: number, end = bytes.length): VarintRead {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (start + i >= end) return 'incomplete';
    const byte = bytes[start + i]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return { value, length: i + 1 };
    scale *= 0x80;
  }
  return 'invalid';
}
