// Field-by-field differences between two JSON values, as a list of paths with the
// expected and the actual value: what the golden tests print when an output moved.
// Pure.
//
//   $.vms[id=26757@0].faults.user: expected 16448, actual 16432
//   $.snapshots[2].events[0]: expected {"type":"oom-kill",...}, actual (absent)
//
// - Objects compare key by key (expected's keys in order, then keys only actual has).
// - Arrays whose elements are all objects with a unique `id` (VM and process rows)
//   are matched by id, so one row more or less is one difference rather than a shift
//   of every row after it; a change in their order is one difference of its own.
//   Other arrays compare index by index.
// - Integers compare exactly. Other numbers may differ by `relTolerance` (relative;
//   default 0): adding the same floats in another order must not fail a test.
// - A missing value (key or element) shows as (absent).

export interface Difference {
  path: string;
  /** undefined: absent on that side */
  expected: unknown;
  actual: unknown;
}

export interface DiffOptions {
  relTolerance?: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function keyPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function sameNumber(a: number, b: number, relTolerance: number): boolean {
  if (a === b) return true;
  if (Number.isInteger(a) && Number.isInteger(b)) return false;
  return Math.abs(a - b) <= relTolerance * Math.max(Math.abs(a), Math.abs(b));
}

/** The ids of an array of rows, or null when it is not one (an element without a
 * string or number id, or two with the same). */
function idsOf(items: readonly unknown[]): string[] | null {
  const ids: string[] = [];
  for (const item of items) {
    if (!isObject(item) || (typeof item.id !== 'string' && typeof item.id !== 'number')) return null;
    ids.push(String(item.id));
  }
  return new Set(ids).size === ids.length ? ids : null;
}

function diffArrays(expected: unknown[], actual: unknown[], path: string, options: Required<DiffOptions>, out: Difference[]): void {
  const expectedIds = idsOf(expected);
  const actualIds = idsOf(actual);
  if (expectedIds && actualIds && (expected.length > 0 || actual.length > 0)) {
    const byId = new Map(actualIds.map((id, i) => [id, actual[i]]));
    expectedIds.forEach((id, i) => walk(expected[i], byId.get(id), `${path}[id=${id}]`, options, out));
    actualIds.forEach((id, i) => {
      if (!expectedIds.includes(id)) out.push({ path: `${path}[id=${id}]`, expected: undefined, actual: actual[i] });
    });
    const common = expectedIds.filter((id) => actualIds.includes(id));
    const commonActual = actualIds.filter((id) => expectedIds.includes(id));
    if (common.join('\u0000') !== commonActual.join('\u0000')) out.push({ path: `${path} (order of ids)`, expected: common, actual: commonActual });
    return;
  }
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) walk(expected[i], actual[i], `${path}[${i}]`, options, out);
}

function walk(expected: unknown, actual: unknown, path: string, options: Required<DiffOptions>, out: Difference[]): void {
  if (expected === undefined || actual === undefined) {
    if (expected !== actual) out.push({ path, expected, actual });
    return;
  }
  if (kindOf(expected) !== kindOf(actual)) {
    out.push({ path, expected, actual });
    return;
  }
  if (Array.isArray(expected)) diffArrays(expected, actual as unknown[], path, options, out);
  else if (isObject(expected)) {
    const other = actual as Record<string, unknown>;
    for (const key of Object.keys(expected)) walk(expected[key], other[key], keyPath(path, key), options, out);
    for (const key of Object.keys(other)) if (!(key in expected)) walk(undefined, other[key], keyPath(path, key), options, out);
  } else if (typeof expected === 'number') {
    if (!sameNumber(expected, actual as number, options.relTolerance)) out.push({ path, expected, actual });
  } else if (expected !== actual) out.push({ path, expected, actual });
}

/** Every path where `actual` differs from `expected`, in the order of `expected`. */
export function diffJson(expected: unknown, actual: unknown, options: DiffOptions = {}): Difference[] {
  const out: Difference[] = [];
  walk(expected, actual, '$', { relTolerance: options.relTolerance ?? 0 }, out);
  return out;
}

function shown(value: unknown, maxChars: number): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value as Json);
  return text.length > maxChars ? `${text.slice(0, maxChars - 3)}...` : text;
}

/** One line per difference, the first `limit` of them. */
export function formatDifferences(differences: readonly Difference[], limit = 40, maxChars = 160): string {
  const lines = differences.slice(0, limit).map((d) => `  ${d.path}: expected ${shown(d.expected, maxChars)}, actual ${shown(d.actual, maxChars)}`);
  if (differences.length > limit) lines.push(`  ... and ${differences.length - limit} more`);
  return lines.join('\n');
}
