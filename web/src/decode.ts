// Wire bytes -> a typed Frame. The schema comes in as JSON (web/build.mjs makes it from
// src/proto/faultline.proto), so the browser never parses .proto text; proto-reader.ts
// walks it (no eval, so the server's CSP can forbid 'unsafe-eval').
import schemaJson from 'virtual:faultline-schema';
import type { FaultlineEvent, HeatFrame, History, Meta, Snapshot } from '../../src/model/snapshot.js';
import { compileSchema, decodeMessage, type Schema } from './proto-reader.js';

export type WireFrame =
  | { kind: 'meta'; meta: Meta }
  | { kind: 'history'; history: History }
  | { kind: 'snapshot'; snapshot: Snapshot }
  | { kind: 'event'; event: FaultlineEvent }
  | { kind: 'heat'; heat: HeatFrame };

let schema: Schema | null = null;

/** Throws on bytes that are not a Frame, or a Frame of a kind this UI does not know. */
export function decodeFrame(bytes: Uint8Array): WireFrame {
  schema ??= compileSchema(schemaJson, 'faultline');
  const frame = decodeMessage(schema, 'Frame', bytes);
  if (frame.meta) return { kind: 'meta', meta: frame.meta as Meta };
  if (frame.history) return { kind: 'history', history: frame.history as History };
  if (frame.snapshot) return { kind: 'snapshot', snapshot: frame.snapshot as Snapshot };
  if (frame.event) return { kind: 'event', event: frame.event as FaultlineEvent };
  if (frame.heat) return { kind: 'heat', heat: frame.heat as HeatFrame };
  throw new Error('frame holds no meta, history, snapshot, event or heat');
}
