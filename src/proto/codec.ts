// Frames to and from protobuf bytes and their JSON form, with the one schema
// (faultline.proto, next to this file in src/proto/). The schema is ours and trusted;
// only wire bytes from outside are ever decoded.
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';
import type { Frame, Snapshot } from '../model/snapshot.js';

const PROTO_PATH = fileURLToPath(new URL('../../src/proto/faultline.proto', import.meta.url));

let frameType: protobuf.Type | null = null;

function schema(): protobuf.Type {
  if (!frameType) {
    frameType = protobuf.loadSync(PROTO_PATH).lookupType('faultline.Frame');
    encodeFindingsOnce(frameType.root.lookupType('faultline.Finding'));
  }
  return frameType;
}

/** A Finding's bytes, by the object. A row keeps its findings, the same objects, from
 * one judgment of its detectors to the next (src/detect/run-detectors.ts: with the
 * default window, every 5 s), and at 100 VMs their 400-odd findings, mostly text, were
 * ~60% of a snapshot's encoding time: 0.67 ms for a real 100-VM frame with them,
 * 0.25-0.33 ms without (bench/encode-cost.ts compares kept and new ones on synthetic
 * rows). Findings are not changed once made, as snapshots are not. */
const findingBytes = new WeakMap<object, Uint8Array>();

/** Makes the Finding type's encoder (which the Frame's generated code calls for each
 * finding, into the frame's writer, between its fork and ldelim) copy the finding's
 * bytes when it was encoded before; the bytes are the same (test/proto/codec.test.ts). */
function encodeFindingsOnce(finding: protobuf.Type): void {
  const encodeFresh = finding.setup().encode.bind(finding);
  finding.encode = (message: protobuf.Message | Record<string, unknown>, writer?: protobuf.Writer): protobuf.Writer => {
    const out = writer ?? protobuf.Writer.create();
    let bytes = findingBytes.get(message);
    if (!bytes) {
      bytes = encodeFresh(message, protobuf.Writer.create()).finish();
      findingBytes.set(message, bytes);
    }
    return out.raw(bytes);
  };
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, arrays: true };

/** long.js, which protobufjs's fromObject converts 64-bit fields with. */
const Long = protobuf.util.Long as unknown as { fromValue(value: number, unsigned: boolean): protobuf.Long };
const SAFE = Number.MAX_SAFE_INTEGER;

/** Writes 64-bit fields as fromObject would have converted them. The plain-number path
 * agrees for integers below 2^53 (and truncates fractions alike); it differs for a
 * negative uint64 (fromObject wrote 0, the number path 2^64 - n) and past 2^63. */
class Int64Writer extends protobuf.BufferWriter {
  override uint64(value: number | protobuf.Long | string): protobuf.Writer {
    // below 2^32 the varint is the uint32 one, written without the LongBits object
    // protobufjs makes per 64-bit value: 700 -> 250 KiB of garbage per 100-VM frame
    if (typeof value === 'number' && value >= 0 && value < 2 ** 32) return this.uint32(value);
    return super.uint64(typeof value === 'number' && !(value >= 0 && value < SAFE) ? Long.fromValue(value, true) : value);
  }

  override sint64(value: number | protobuf.Long | string): protobuf.Writer {
    return super.sint64(typeof value === 'number' && !(Math.abs(value) < SAFE) ? Long.fromValue(value, false) : value);
  }
}

/** A Snapshot is encoded once however many consumers send it (websocket, recorder,
 * a client's greeting): snapshots are not changed once made, and the bytes are
 * shared, so nobody may write into them. */
const snapshotBytes = new WeakMap<Snapshot, Uint8Array>();

/** The model's plain objects go to the encoder as they are: every field is a string,
 * bool, number, nested object or array, as faultline.proto wants, with no enums, so
 * fromObject (a copy of the whole frame, a Long per 64-bit field) would convert
 * nothing (test/proto/codec.test.ts checks the bytes agree). */
export function encodeFrame(frame: Frame): Uint8Array {
  const snapshot = 'snapshot' in frame ? frame.snapshot : null;
  const known = snapshot && snapshotBytes.get(snapshot);
  if (known) return known;
  const bytes = schema().encode(frame, new Int64Writer()).finish();
  if (snapshot) snapshotBytes.set(snapshot, bytes);
  return bytes;
}

/** Throws on bytes that are not a Frame. */
export function decodeFrame(bytes: Uint8Array): Frame {
  const type = schema();
  const object = type.toObject(type.decode(bytes), TO_OBJECT) as Record<string, unknown>;
  for (const kind of ['meta', 'snapshot', 'event', 'history', 'heat'] as const) {
    if (object[kind] !== undefined && object[kind] !== null) return { [kind]: object[kind] } as Frame;
  }
  throw new Error('frame holds no meta, snapshot, event, history or heat');
}

/** The JSON form: every field present, as the schema names and orders them. */
export function frameToJson(frame: Frame): Frame {
  return decodeFrame(encodeFrame(frame));
}
