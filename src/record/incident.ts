// What makes the flight recorder (`faultline record --ring`) write its ring: an OOM
// kill, a reclaim stall at least `stallThresholdNs` long, or a leak finding. Pure.
import { formatDuration } from '../format/quantities.js';
import type { Snapshot } from '../model/snapshot.js';

export interface IncidentRules {
  stallThresholdNs: number;
}

/** Why this snapshot is an incident, in a few words, or null. */
export function incidentIn(snapshot: Snapshot, rules: IncidentRules): string | null {
  for (const e of snapshot.events) {
    if (e.type === 'oom-kill') return `oom-kill: ${e.comm || 'pid'} ${e.pid}`;
    if (e.type === 'leak-finding') return `leak finding: ${e.message || e.vmId}`;
  }
  const durationOf = (ns: number): string => formatDuration(ns / 1e6);
  for (const e of snapshot.events) {
    if (e.type === 'reclaim-stall' && e.durationNs >= rules.stallThresholdNs) return `reclaim stall of ${durationOf(e.durationNs)} in ${e.comm} (pid ${e.pid})`;
  }
  // a stall under --long-stall makes no event, but its row's maximum still shows it
  for (const vm of snapshot.vms) {
    if (vm.reclaim.maxStallNs >= rules.stallThresholdNs) return `reclaim stall of ${durationOf(vm.reclaim.maxStallNs)} in ${vm.name} (pid ${vm.pid})`;
  }
  return null;
}
