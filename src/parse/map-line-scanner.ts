// The fast path for the lines that carry almost all of faultline's input: a `map`
// record whose maps are keyed by unsigned integers, e.g. (bpftrace 0.17)
//   {"type": "map", "data": {"@fault_region_sampled": {"3956,44892460": 1, "3959,45006389": 1}}}
// read character by character straight into MapTables, without JSON.parse's
// per-key strings and objects. Pure.
//
// It accepts only that grammar (any JSON whitespace between tokens, so 0.24's
// space-stripped keys are fine):
//   {"type": "map", "data": {"@name": {"k[,k...]": v, ...}[, "@name2": {...}]}}
// with k a decimal integer of at most 15 digits, v an optionally negative integer of
// at most 15 digits (exact in a double), map names of [A-Za-z0-9_] after the @, and
// one key width per map. Anything else (scalar maps, stats objects, big or quoted
// numbers, escapes, another field order, a cut line) returns null, and the caller
// parses the line with JSON.parse; the two must agree on every line both accept
// (test/parse/map-line-scanner.test.ts). One difference is left: a key printed twice
// in one map (bpftrace never does) is two entries here, where JSON.parse keeps the
// last; the fold adds them up.
import type { MapTable } from './map-table.js';

export interface ScannedMap {
  name: string;
  table: MapTable;
}

const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const OPEN = 123;
const CLOSE = 125;
const MINUS = 45;
const AT = 64;
const MAX_DIGITS = 15;

const PREFIX_TYPE = '"type"';
const PREFIX_MAP = '"map"';
const PREFIX_DATA = '"data"';

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isNameChar(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** A cursor over one line; eat and eatText return false at the first surprise. */
class Cursor {
  i = 0;
  constructor(readonly s: string) {}

  skipSpace(): void {
    while (this.i < this.s.length && isSpace(this.s.charCodeAt(this.i))) this.i++;
  }

  /** Whitespace, then exactly `c`. */
  eat(c: number): boolean {
    this.skipSpace();
    if (this.s.charCodeAt(this.i) !== c) return false;
    this.i++;
    return true;
  }

  /** Whitespace, then exactly `text`. */
  eatText(text: string): boolean {
    this.skipSpace();
    if (!this.s.startsWith(text, this.i)) return false;
    this.i += text.length;
    return true;
  }
}

/** `"@name"`: the name, or null. */
function mapName(cur: Cursor): string | null {
  if (!cur.eat(QUOTE) || cur.s.charCodeAt(cur.i) !== AT) return null;
  const start = cur.i;
  cur.i++;
  while (cur.i < cur.s.length && isNameChar(cur.s.charCodeAt(cur.i))) cur.i++;
  const end = cur.i;
  return cur.eat(QUOTE) && cur.s.charCodeAt(end) === QUOTE ? cur.s.slice(start, end) : null;
}

/** `{"k,k": v, ...}` into a table, or null. The loop that reads almost every byte
 * faultline takes in: plain locals and inline checks (a method call per character
 * cost half the throughput, test/parse/map-line-scanner.test.ts has the grammar). */
function mapBody(cur: Cursor): MapTable | null {
  if (!cur.eat(OPEN)) return null;
  const keys: number[] = [];
  const values: number[] = [];
  let keyWidth = -1;
  if (cur.eat(CLOSE)) return { keyWidth: 0, keys, values };
  const s = cur.s;
  let i = cur.i;
  let c = 0;
  for (;;) {
    // whitespace, then the key's opening quote
    while (isSpace((c = s.charCodeAt(i)))) i++;
    if (c !== QUOTE) return null;
    i++;
    let width = 0;
    for (;;) {
      let k = 0;
      const from = i;
      while ((c = s.charCodeAt(i)) >= 48 && c <= 57) {
        k = k * 10 + (c - 48);
        i++;
      }
      if (i === from || i - from > MAX_DIGITS) return null;
      keys.push(k);
      width++;
      i++;
      if (c === QUOTE) break;
      if (c !== COMMA) return null;
    }
    if (keyWidth === -1) keyWidth = width;
    else if (width !== keyWidth) return null;
    while (isSpace((c = s.charCodeAt(i)))) i++;
    if (c !== COLON) return null;
    i++;
    while (isSpace((c = s.charCodeAt(i)))) i++;
    const negative = c === MINUS;
    if (negative) i++;
    const from = i;
    let v = 0;
    while ((c = s.charCodeAt(i)) >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      i++;
    }
    // JSON forbids leading zeros ("007"): leave such a line to JSON.parse to reject
    if (i === from || i - from > MAX_DIGITS || (s.charCodeAt(from) === 48 && i - from > 1)) return null;
    values.push(negative ? -v : v);
    while (isSpace((c = s.charCodeAt(i)))) i++;
    i++;
    if (c === CLOSE) {
      cur.i = i;
      return { keyWidth, keys, values };
    }
    if (c !== COMMA) return null;
  }
}

/** The maps of a `map` line, or null when the line is not in the fast grammar. */
export function scanMapLine(line: string): ScannedMap[] | null {
  const cur = new Cursor(line);
  if (!cur.eat(OPEN) || !cur.eatText(PREFIX_TYPE) || !cur.eat(COLON) || !cur.eatText(PREFIX_MAP)) return null;
  if (!cur.eat(COMMA) || !cur.eatText(PREFIX_DATA) || !cur.eat(COLON) || !cur.eat(OPEN)) return null;
  const maps: ScannedMap[] = [];
  for (;;) {
    const name = mapName(cur);
    // a name printed twice: JSON.parse keeps the last, so leave it to JSON.parse
    if (name === null || !cur.eat(COLON) || maps.some((m) => m.name === name)) return null;
    const table = mapBody(cur);
    if (table === null) return null;
    maps.push({ name, table });
    if (cur.eat(CLOSE)) break;
    if (!cur.eat(COMMA)) return null;
  }
  if (!cur.eat(CLOSE)) return null;
  cur.skipSpace();
  return cur.i === line.length ? maps : null;
}
