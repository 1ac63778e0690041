// What goes into an expected file, and how it is written. Pure but for the two
// file functions at the end.
//
// pinnable(): a plain JSON value (Maps already turned into objects by the caller;
// NaN and ±Infinity become null, as JSON.stringify writes them), with text made by
// the formatters normalised away: every non-empty `message` (events, findings) reads
// FORMATTED_TEXT. The numbers a message is made of are fields of their own
// (durationNs, anonRssBytes, growthBytesPerSec...), and those are pinned.
//
// goldenText(): JSON that git diffs line by line and stays short: an object of plain
// values (a hotspot, a finding, RSS by kind) is one line, as is anything else that
// fits in WIDTH characters; a longer list of plain values is wrapped; anything else
// has one member per line.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export const FORMATTED_TEXT = '(formatted text: not pinned)';
const WIDTH = 100;

function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = key === 'message' && typeof v === 'string' && v !== '' ? FORMATTED_TEXT : normalise(v);
  return out;
}

export function pinnable(value: unknown): unknown {
  return normalise(JSON.parse(JSON.stringify(value)));
}

const isPrimitive = (v: unknown): boolean => typeof v !== 'object' || v === null;

export function goldenText(value: unknown, indent = ''): string {
  const flat = JSON.stringify(value);
  if (isPrimitive(value) || indent.length + flat.length <= WIDTH) return flat;
  if (!Array.isArray(value) && Object.values(value as object).every(isPrimitive)) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (!value.every(isPrimitive)) return `[\n${value.map((v) => inner + goldenText(v, inner)).join(',\n')}\n${indent}]`;
    const lines: string[] = [];
    for (const item of value.map((v) => JSON.stringify(v))) {
      const last = lines.length - 1;
      if (last >= 0 && inner.length + lines[last]!.length + item.length + 2 <= WIDTH) lines[last] += `, ${item}`;
      else lines.push(item);
    }
    return `[\n${lines.map((line) => inner + line).join(',\n')}\n${indent}]`;
  }
  const members = Object.entries(value as Record<string, unknown>).map(([key, v]) => `${inner}${JSON.stringify(key)}: ${goldenText(v, inner)}`);
  return `{\n${members.join(',\n')}\n${indent}}`;
}

export function readExpected(path: string): unknown {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}

export function writeExpected(path: string, value: unknown): void {
  writeFileSync(path, `${goldenText(value)}\n`);
}
