// Frames to and from protobuf bytes and their JSON form, with the one schema
// (faultline.proto, next to this file in src/proto/). The schema is ours and trusted;
// only wire bytes from outside are ever decoded.
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';
import type { Frame } from '../model/snapshot.js';

const PROTO_PATH = fileURLToPath(new URL('../../src/proto/faultline.proto', import.meta.url));

let frameType: protobuf.Type | null = null;

function schema(): protobuf.Type {
  frameType ??= protobuf.loadSync(PROTO_PATH).lookupType('faultline.Frame');
  return frameType;
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, arrays: true };

export function encodeFrame(frame: Frame): Uint8Array {
  const type = schema();
  return type.encode(type.fromObject(frame)).finish();
}

/** Throws on bytes that are not a Frame. */
export function decodeFrame(bytes: Uint8Array): Frame {
  const type = schema();
  const object = type.toObject(type.decode(bytes), TO_OBJECT) as Record<string, unknown>;
  for (const kind of ['meta', 'snapshot', 'event', 'history'] as const) {
    if (object[kind] !== undefined && object[kind] !== null) return { [kind]: object[kind] } as Frame;
  }
  throw new Error('frame holds no meta, snapshot, event or history');
}

/** The JSON form: every field present, as the schema names and orders them. */
export function frameToJson(frame: Frame): Frame {
  return decodeFrame(encodeFrame(frame));
}
