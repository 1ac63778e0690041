// The BPF maps a process holds, as the kernel describes them in /proc/PID/fdinfo: an
// independent view of what bpftrace created (the map-keys test, the scale benchmark).
import { readdirSync, readFileSync } from 'node:fs';

export interface BpfMapInfo {
  /** BPF_MAP_TYPE_*: 1 hash, 5 per-CPU hash, ... */
  mapType: number;
  maxEntries: number;
  /** What the kernel charges for the map, preallocated entries included. */
  memlockBytes: number;
}

/** BPF_MAP_TYPE_HASH and BPF_MAP_TYPE_PERCPU_HASH: bpftrace's keyed maps. */
export const HASH_MAP_TYPES = new Set([1, 5]);

/** Every BPF map among the process's descriptors; none for a process that is gone. */
export function readBpfMaps(pid: number): BpfMapInfo[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return [];
  }
  const maps: BpfMapInfo[] = [];
  for (const fd of fds) {
    let info: string;
    try {
      info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // closed meanwhile
    }
    const mapType = /^map_type:\s+(\d+)/m.exec(info);
    if (!mapType) continue;
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(info)?.[1] ?? 0);
    maps.push({ mapType: Number(mapType[1]), maxEntries: field('max_entries'), memlockBytes: field('memlock') });
  }
  return maps;
}
