// Protobuf wire bytes -> plain objects, driven by the schema's JSON descriptor
// (protobufjs root.toJSON(), made at build time from src/proto/faultline.proto).
//
// Why not protobufjs/light's Type.decode: it compiles its decoders with new Function(),
// which the server's Content-Security-Policy (script-src 'self', no 'unsafe-eval')
// rightly forbids. This walks the descriptor instead, with protobufjs/minimal's Reader
// for the wire primitives (no eval). It yields what codec.ts's toObject gives with
// { longs: Number, defaults: true, arrays: true }: every scalar present (0, '', false),
// repeated fields as arrays, 64-bit integers as numbers; except that an absent
// sub-message is its default object rather than null, so the UI never meets a null
// where the types promise an object. Members of a oneof are present only when set.
// Proto3 subset: scalars, strings, bytes, nested messages, repeated (packed or not),
// oneof. No maps, enums or groups (the schema has none; compileSchema refuses them).
import { Reader, util, type Long } from 'protobufjs/minimal.js';

type Scalar =
  | 'double' | 'float' | 'int32' | 'uint32' | 'sint32' | 'fixed32' | 'sfixed32'
  | 'int64' | 'uint64' | 'sint64' | 'fixed64' | 'sfixed64' | 'bool' | 'string' | 'bytes';

/** Wire type each scalar is written with (unpacked). */
const WIRE_TYPE: Record<Scalar, number> = {
  double: 1, fixed64: 1, sfixed64: 1,
  float: 5, fixed32: 5, sfixed32: 5,
  int32: 0, uint32: 0, sint32: 0, int64: 0, uint64: 0, sint64: 0, bool: 0,
  string: 2, bytes: 2,
};

interface FieldDef {
  name: string;
  repeated: boolean;
  inOneof: boolean;
  scalar: Scalar | null;
  /** Set for message fields once every type is known. */
  message: MessageDef | null;
  messageName: string;
}

export interface MessageDef {
  name: string;
  fields: FieldDef[];
  byId: Map<number, FieldDef>;
}

export type Schema = Map<string, MessageDef>;

interface JsonField {
  type: string;
  id: number;
  rule?: string;
  keyType?: string;
}
interface JsonType {
  fields?: Record<string, JsonField>;
  oneofs?: Record<string, { oneof: string[] }>;
  nested?: Record<string, JsonType>;
  values?: unknown;
}

/** The message types of one package (e.g. 'faultline') of a root.toJSON() descriptor. */
export function compileSchema(json: { nested?: Record<string, JsonType> }, packageName: string): Schema {
  const types = json.nested?.[packageName]?.nested;
  if (!types) throw new Error(`schema has no package ${packageName}`);
  const schema: Schema = new Map();
  for (const [name, type] of Object.entries(types)) {
    if (!type.fields) throw new Error(`schema: ${name} is not a message (enums are not supported)`);
    const oneofMembers = new Set(Object.values(type.oneofs ?? {}).flatMap((o) => o.oneof));
    const def: MessageDef = { name, fields: [], byId: new Map() };
    for (const [fieldName, f] of Object.entries(type.fields)) {
      if (f.keyType) throw new Error(`schema: ${name}.${fieldName} is a map (not supported)`);
      const scalar = f.type in WIRE_TYPE ? (f.type as Scalar) : null;
      const field: FieldDef = {
        name: fieldName,
        repeated: f.rule === 'repeated',
        inOneof: oneofMembers.has(fieldName),
        scalar,
        message: null,
        messageName: scalar ? '' : f.type.replace(/^\.?/, '').replace(`${packageName}.`, ''),
      };
      def.fields.push(field);
      def.byId.set(f.id, field);
    }
    schema.set(name, def);
  }
  for (const def of schema.values()) {
    for (const field of def.fields) {
      if (field.scalar) continue;
      field.message = schema.get(field.messageName) ?? null;
      if (!field.message) throw new Error(`schema: ${def.name}.${field.name} has unknown type ${field.messageName}`);
    }
  }
  return schema;
}

/** 64-bit values come back as numbers, or as Long objects where long.js is loaded. */
const toNumber = (v: number | Long, unsigned: boolean): number =>
  typeof v === 'number' ? v : util.LongBits.from(v).toNumber(unsigned);

function readScalar(r: Reader, type: Scalar): unknown {
  switch (type) {
    case 'double': return r.double();
    case 'float': return r.float();
    case 'int32': return r.int32();
    case 'uint32': return r.uint32();
    case 'sint32': return r.sint32();
    case 'fixed32': return r.fixed32();
    case 'sfixed32': return r.sfixed32();
    case 'int64': return toNumber(r.int64(), false);
    case 'uint64': return toNumber(r.uint64(), true);
    case 'sint64': return toNumber(r.sint64(), false);
    case 'fixed64': return toNumber(r.fixed64(), true);
    case 'sfixed64': return toNumber(r.sfixed64(), false);
    case 'bool': return r.bool();
    case 'string': return r.string();
    case 'bytes': return r.bytes();
  }
}

function scalarDefault(type: Scalar): unknown {
  if (type === 'string') return '';
  if (type === 'bool') return false;
  if (type === 'bytes') return new Uint8Array(0);
  return 0;
}

const MAX_DEPTH = 32;

/** The default object of a message: what an empty encoding decodes to. */
export function defaultMessage(def: MessageDef, depth = 0): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw new Error(`schema: ${def.name} nests too deep`);
  const out: Record<string, unknown> = {};
  for (const f of def.fields) {
    if (f.inOneof) continue;
    if (f.repeated) out[f.name] = [];
    else if (f.scalar) out[f.name] = scalarDefault(f.scalar);
    else out[f.name] = defaultMessage(f.message!, depth + 1);
  }
  return out;
}

function readMessage(r: Reader, end: number, def: MessageDef, depth: number): Record<string, unknown> {
  if (depth > MAX_DEPTH) throw new Error('message nests too deep');
  const out: Record<string, unknown> = {};
  const present = new Set<string>();
  while (r.pos < end) {
    const tag = r.uint32();
    const id = tag >>> 3;
    const wireType = tag & 7;
    const field = def.byId.get(id);
    if (!field) {
      r.skipType(wireType); // a field this UI does not know: newer server
      continue;
    }
    present.add(field.name);
    if (field.message) {
      if (wireType !== 2) throw new Error(`${def.name}.${field.name}: wire type ${wireType}, expected 2`);
      const length = r.uint32();
      const value = readMessage(r, r.pos + length, field.message, depth + 1);
      if (field.repeated) ((out[field.name] ??= []) as unknown[]).push(value);
      else out[field.name] = value;
      continue;
    }
    const scalar = field.scalar!;
    const expected = WIRE_TYPE[scalar];
    if (field.repeated && wireType === 2 && expected !== 2) {
      // packed: a length, then the values back to back
      const packedEnd = r.uint32() + r.pos;
      const values = (out[field.name] ??= []) as unknown[];
      while (r.pos < packedEnd) values.push(readScalar(r, scalar));
      continue;
    }
    if (wireType !== expected) throw new Error(`${def.name}.${field.name}: wire type ${wireType}, expected ${expected}`);
    const value = readScalar(r, scalar);
    if (field.repeated) ((out[field.name] ??= []) as unknown[]).push(value);
    else out[field.name] = value;
  }
  if (r.pos !== end) throw new Error(`${def.name}: message runs past its end`);
  for (const f of def.fields) {
    if (present.has(f.name) || f.inOneof) continue;
    if (f.repeated) out[f.name] = [];
    else if (f.scalar) out[f.name] = scalarDefault(f.scalar);
    else out[f.name] = defaultMessage(f.message!, depth + 1);
  }
  return out;
}

/** Decodes one message of type `typeName`; throws on bytes that do not parse as it. */
export function decodeMessage(schema: Schema, typeName: string, bytes: Uint8Array): Record<string, unknown> {
  const def = schema.get(typeName);
  if (!def) throw new Error(`schema has no message ${typeName}`);
  const reader = Reader.create(bytes);
  return readMessage(reader, bytes.length, def, 0);
}
