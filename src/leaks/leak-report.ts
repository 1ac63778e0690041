// Outstanding allocations -> the call sites holding the most bytes. Pure.
//
// Only allocations older than minAgeMs count: a young one is most likely still in
// use and about to be freed; a leak is what stays. Sampled allocations (under
// SAMPLE_ALWAYS_BYTES, kept 1 in `sample` by probes/leaks.bt) stand for `sample`
// allocations each; bigger ones are all kept and count once. Call sites are the
// whole stack: the same function reached two ways is two sites.
import type { Allocation } from './parse-leaks.js';
import { frameText, type Frame } from './stack.js';

/** Allocations this big or bigger are always kept (probes/leaks.bt: 65536). */
export const SAMPLE_ALWAYS_BYTES = 65536;

export interface LeakSite {
  /** Estimated outstanding bytes (sampled allocations scaled). */
  bytes: number;
  /** Estimated outstanding allocations. */
  count: number;
  /** Allocations the probe actually kept for this site. */
  sampled: number;
  oldestAgeMs: number;
  frames: Frame[];
}

export interface LeakReport {
  pid: number;
  comm: string;
  durationMs: number;
  sample: number;
  minAgeMs: number;
  /** All outstanding allocations older than minAgeMs, estimated. */
  totalBytes: number;
  totalCount: number;
  /** Outstanding allocations the probe kept, of any age. */
  keptAllocations: number;
  /** The probe's table reached its limit: later allocations were not kept. */
  tableFull: boolean;
  lostEvents: number;
  sites: LeakSite[];
  /** Why stacks are short or nameless (src/leaks/stack-notes.ts); empty when nothing to say. */
  notes?: string[];
}

export interface ReportOptions {
  pid: number;
  comm: string;
  durationMs: number;
  sample: number;
  minAgeMs: number;
  top: number;
  endNs: number;
  tableLimit: number;
  lostEvents: number;
}

export function weightOf(bytes: number, sample: number): number {
  return bytes >= SAMPLE_ALWAYS_BYTES ? 1 : sample;
}

export function buildLeakReport(allocations: readonly Allocation[], o: ReportOptions): LeakReport {
  const sites = new Map<string, LeakSite>();
  let totalBytes = 0;
  let totalCount = 0;
  for (const a of allocations) {
    const ageMs = (o.endNs - a.bornNs) / 1e6;
    if (ageMs < o.minAgeMs) continue;
    const weight = weightOf(a.bytes, o.sample);
    const key = a.frames.map(frameText).join('\n');
    const site = sites.get(key) ?? { bytes: 0, count: 0, sampled: 0, oldestAgeMs: 0, frames: a.frames };
    site.bytes += a.bytes * weight;
    site.count += weight;
    site.sampled += 1;
    site.oldestAgeMs = Math.max(site.oldestAgeMs, ageMs);
    sites.set(key, site);
    totalBytes += a.bytes * weight;
    totalCount += weight;
  }
  return {
    pid: o.pid,
    comm: o.comm,
    durationMs: o.durationMs,
    sample: o.sample,
    minAgeMs: o.minAgeMs,
    totalBytes,
    totalCount,
    keptAllocations: allocations.length,
    tableFull: allocations.length >= o.tableLimit,
    lostEvents: o.lostEvents,
    sites: [...sites.values()].sort((a, b) => b.bytes - a.bytes).slice(0, o.top),
  };
}
