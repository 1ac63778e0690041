// One printed bpftrace map as two flat number arrays: the form the parser produces
// and foldBatches reads. A region map holds thousands of keys per interval; one
// object and one key array per entry made the collector's garbage collection cost
// more than the parsing itself (docs/benchmarks.md, "User side"). Pure.

export interface MapTable {
  /** Numbers per key: 0 for a scalar map, 1 for `@x[pid]`, 2 for `@x[pid, region]`. */
  keyWidth: number;
  /** Entry i's key is keys[i * keyWidth] .. keys[i * keyWidth + keyWidth - 1]. */
  keys: number[];
  /** Entry i's value. */
  values: number[];
}

/** One entry as an object: for tests and for code where clarity beats speed. */
export interface MapEntry {
  key: number[];
  value: number;
}

export function emptyMapTable(keyWidth: number): MapTable {
  return { keyWidth, keys: [], values: [] };
}

export function mapEntries(table: MapTable): MapEntry[] {
  const { keyWidth, keys, values } = table;
  return values.map((value, i) => ({ key: keys.slice(i * keyWidth, (i + 1) * keyWidth), value }));
}

/** Both tables' entries in one (the two halves of a double-buffered map, printed in
 * the same batch at exit). Keys may repeat: the fold adds (or takes the max of) them. */
export function appendMapTable(into: MapTable, from: MapTable): MapTable {
  if (into.values.length === 0) return from;
  if (from.values.length === 0) return into;
  return { keyWidth: into.keyWidth, keys: into.keys.concat(from.keys), values: into.values.concat(from.values) };
}

/** The sum of every value (a scalar map has one). */
export function mapTableSum(table: MapTable | undefined): number {
  let sum = 0;
  for (const v of table?.values ?? []) sum += v;
  return sum;
}
