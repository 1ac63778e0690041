// What every rule of the diagnosis works from (RuleContext), and the words rules
// share: how a subject is named, how memory is given back from it. Pure.
import type { Cause, Snapshot, VmSnapshot, VmstatDelta } from '../model/snapshot.js';

/** One rule's view of the window: src/diagnose/*-rule.ts take this and the thresholds
 * and return their causes. */
export interface RuleContext {
  window: Snapshot[];
  last: Snapshot;
  /** Seconds the window covers (its snapshots' intervals summed). */
  seconds: number;
  /** Each subject's latest row and its rows over the window; faultline's own tools left out. */
  bySubject: Map<string, { last: VmSnapshot; rows: VmSnapshot[] }>;
}

// Sums over the window and its rows, for the rules, every interval: module functions,
// not arrows made per call (V8 compiles such an arrow again after every full GC; see
// src/collect/collector.ts).
export const addKswapdRunNs = (sum: number, s: Snapshot): number => sum + s.host.kswapdRunNs;
export const addStallNs = (sum: number, r: VmSnapshot): number => sum + r.reclaim.stallNs;
export const addMemcgStalls = (sum: number, r: VmSnapshot): number => sum + r.reclaim.memcgStalls;
export const addDirectStalls = (sum: number, r: VmSnapshot): number => sum + r.reclaim.directStalls;

/** A /proc/vmstat delta summed over the window from its `from`-th snapshot (a counter
 * missing from an older recording counts 0). */
export function vmstatSum(window: readonly Snapshot[], key: keyof VmstatDelta, from = 0): number {
  let total = 0;
  for (let i = from; i < window.length; i++) total += window[i]!.host.vmstat[key] ?? 0;
  return total;
}

/** A cause about the host. */
export function hostCause(c: Omit<Cause, 'subject' | 'subjectId' | 'pid'>): Cause {
  return { subject: 'host', subjectId: '', pid: 0, ...c };
}

/** A cause about a VM or process (its row). */
export function rowCause(row: VmSnapshot, c: Omit<Cause, 'subject' | 'subjectId' | 'pid'>): Cause {
  return { subject: row.name, subjectId: row.id, pid: row.pid, ...c };
}

export const MiB = 2 ** 20;

/** faultline itself and its bpftrace: never a cause (process-name.ts labels them). */
export function isOwnTool(row: VmSnapshot): boolean {
  return row.kind === 'process' && /^(faultline |bpftrace \(faultline)/.test(row.name);
}

/** "web01 (VM)", "node leaker.js (pid 42)", or "pid 42" for a process known by its pid only */
export function subjectText(row: VmSnapshot): string {
  if (row.kind === 'vm') return `${row.name} (VM)`;
  // a process gone before its name was read is called "pid N" already
  return row.name === `pid ${row.pid}` ? row.name : `${row.name} (pid ${row.pid})`;
}

export function isLibvirt(row: VmSnapshot): boolean {
  return row.kind === 'vm' && row.source === 'libvirt';
}

export const pct = (part: number, whole: number): number => (whole > 0 ? (100 * part) / whole : 0);
export const round1 = (x: number): string => (Math.round(x * 10) / 10).toString();

/** The latest row of each subject in the window, with its rows over the window. */
export function rowsBySubject(window: Snapshot[]): Map<string, { last: VmSnapshot; rows: VmSnapshot[] }> {
  const out = new Map<string, { last: VmSnapshot; rows: VmSnapshot[] }>();
  for (const s of window) {
    for (const row of s.vms) {
      if (isOwnTool(row)) continue;
      const known = out.get(row.id);
      if (known) {
        known.last = row;
        known.rows.push(row);
      } else out.set(row.id, { last: row, rows: [row] });
    }
  }
  return out;
}

/** How to give memory back from this subject, in the words its manager uses. */
export function shrinkRemedy(row: VmSnapshot, targetBytes: number): string {
  const size = `${Math.max(1, Math.floor(targetBytes / MiB))}M`;
  if (isLibvirt(row)) return `\`virsh setmem ${row.name} ${size} --live\` (balloon it down), or migrate it to another host`;
  if (row.kind === 'vm' && row.vmid) return `\`qm set ${row.vmid} --balloon ${Math.floor(targetBytes / MiB)}\` (balloon it down), or migrate it to another host`;
  if (row.kind === 'vm') return `balloon it down (QMP \`balloon ${targetBytes}\`), or move it to another host`;
  return `restart or limit it (pid ${row.pid}); \`sudo faultline leaks --pid ${row.pid}\` if it keeps growing`;
}

/** "raise PATH's limit (...)", with the libvirt way when the row is a libvirt VM. */
export function raiseLimitRemedy(path: string, row?: VmSnapshot): string {
  return `raise ${path}'s limit (memory.max on cgroup v2, memory.limit_in_bytes on v1)${row && isLibvirt(row) ? ` or \`virsh memtune ${row.name} --hard-limit SIZE\`` : ''}`;
}

export function largestRows(bySubject: Map<string, { last: VmSnapshot }>, count: number): VmSnapshot[] {
  return [...bySubject.values()]
    .map((s) => s.last)
    .filter((r) => !r.exit)
    .sort((a, b) => b.rss.totalBytes - a.rss.totalBytes)
    .slice(0, count);
}

