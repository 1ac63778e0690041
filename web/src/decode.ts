// Wire bytes -> a typed Frame. The schema comes in as JSON (web/build.mjs), so the
// browser needs only protobufjs/light and never parses .proto text. Conversion options
// match src/proto/codec.ts: 64-bit numbers as JS numbers, defaults filled in.
import { Root, type Type } from 'protobufjs/light';
import schema from 'virtual:faultline-schema';
import type { FaultlineEvent, History, Meta, Snapshot } from '../../src/model/snapshot.js';

export type WireFrame =
  | { kind: 'meta'; meta: Meta }
  | { kind: 'history'; history: History }
  | { kind: 'snapshot'; snapshot: Snapshot }
  | { kind: 'event'; event: FaultlineEvent };

let frameType: Type | null = null;

function frameSchema(): Type {
  frameType ??= Root.fromJSON(schema).lookupType('faultline.Frame');
  return frameType;
}

/** Throws on bytes that are not a Frame, or a Frame of a kind this UI does not know. */
export function decodeFrame(bytes: Uint8Array): WireFrame {
  const type = frameSchema();
  const object = type.toObject(type.decode(bytes), { longs: Number, defaults: true, arrays: true }) as Record<string, unknown>;
  if (object.meta) return { kind: 'meta', meta: object.meta as Meta };
  if (object.history) return { kind: 'history', history: object.history as History };
  if (object.snapshot) return { kind: 'snapshot', snapshot: object.snapshot as Snapshot };
  if (object.event) return { kind: 'event', event: object.event as FaultlineEvent };
  throw new Error('frame holds no meta, history, snapshot or event');
}
