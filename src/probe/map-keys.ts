// How many keys each probe map holds, and when that must grow. Pure.
//
// bpftrace 0.17 gives every map one size (BPFTRACE_MAP_KEYS_MAX; BPFTRACE_MAX_MAP_KEYS
// from 0.20, src/probe/bpftrace-version.ts) and preallocates it. Walking a map to print
// or clear it visits every bucket, however few keys it holds: with 65,536 keys per map,
// 70% of bpftrace's CPU went to htab_map_get_next_key and the maps took ~420 MiB of the
// host's kernel memory; with 4,096, bpftrace took 0.13% of a core instead of 0.73% at 100
// VMs and its maps 23.7 MiB instead of 379 (docs/benchmarks.md, "Map size"). Most maps hold a key per process or per VM; the region maps (2 MiB of
// guest RAM or of a process's memory per key) are the ones that can fill, when a
// process or guest touches more than 8 GiB of new memory in one interval.
//
// A full hash map drops every further update without a word, and then holds exactly its
// limit of keys: so a printed half (one interval's map) with `limit` keys is a map that
// filled. The probe set then restarts its bpftrace with MAP_KEYS_GROWTH times the keys,
// up to MAP_KEYS_CAP (or the user's --map-keys, if larger).
import type { ProbeBatch } from '../parse/probe-batch.js';

/** Keys per map at start: bpftrace's own default. */
export const MAP_KEYS_START = 4096;
/** The most keys faultline grows to by itself (~420 MiB of kernel memory here). */
export const MAP_KEYS_CAP = 65536;
export const MAP_KEYS_GROWTH = 4;

/** The keyed maps of a complete interval batch that hold `mapKeys` keys or more (full). */
export function fullMaps(batch: ProbeBatch, mapKeys: number): string[] {
  if (!batch.complete) return []; // the dump at exit merges both halves: not one map
  const full: string[] = [];
  for (const [name, table] of batch.maps) if (table.keyWidth > 0 && table.values.length >= mapKeys) full.push(name);
  return full;
}

/** The next size after `mapKeys`, or null when it is at the cap already. */
export function grownMapKeys(mapKeys: number, cap: number): number | null {
  if (mapKeys >= cap) return null;
  return Math.min(cap, mapKeys * MAP_KEYS_GROWTH);
}
