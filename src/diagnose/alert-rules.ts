// Prometheus alerting rules for a fleet (one faultline per host, Prometheus does the
// rest), made from the same thresholds as the diagnosis engine: `faultline rules
// [--thresholds FILE]` prints them, docs/prometheus/faultline-rules.yml is the output
// with the defaults (a test keeps the two equal), test/prometheus/rules.test.yml is
// its `promtool test rules` suite. Pure: thresholds in, YAML text out.
import type { Thresholds } from './thresholds.js';

export interface RuleTiming {
  /** How long a warning must hold before it fires (Prometheus duration). */
  warningFor: string;
  criticalFor: string;
}

export const DEFAULT_RULE_TIMING: RuleTiming = { warningFor: '2m', criticalFor: '1m' };

export interface Rule {
  alert: string;
  expr: string;
  severity: 'warning' | 'critical';
  summary: string;
  description: string;
}

/** Causes that only faultline's diagnosis has (no raw series of their own): alerted on
 * through faultline_diagnosis_cause. */
export const DIAGNOSIS_ONLY = ['slab-growth', 'page-cache', 'thp-low', 'compaction-stall', 'balloon-no-return', 'numa-remote', 'numa-node-short'] as const;

/** The rules, in the order of docs/diagnosis.md's table. */
export function alertRules(t: Thresholds): Rule[] {
  const availablePct = '100 * faultline_host_memory_available_bytes / faultline_host_memory_total_bytes';
  return [
    {
      alert: 'FaultlineHostMemoryCritical',
      expr: `100 - ${availablePct} > ${t.hostUsedCriticalPct}`,
      severity: 'critical',
      summary: `host memory {{ $value | printf "%.1f" }}% used (above ${t.hostUsedCriticalPct}%)`,
      description: 'Free memory on the host: shrink the largest VM (virsh setmem NAME SIZE --live), or migrate one; keep the VMs at 80% of RAM. `faultline diagnose` names them.',
    },
    {
      alert: 'FaultlineHostMemoryLow',
      expr: `${availablePct} < ${t.hostAvailableWarningPct}`,
      severity: 'warning',
      summary: `host memory available {{ $value | printf "%.1f" }}% (below ${t.hostAvailableWarningPct}%)`,
      description: 'MemAvailable is low: the next VM to grow will make the host reclaim. `faultline diagnose` names the largest VMs.',
    },
    {
      alert: 'FaultlineHostPaging',
      expr: `rate(faultline_host_swap_in_pages_total[1m]) + rate(faultline_host_swap_out_pages_total[1m]) + rate(faultline_host_zswap_in_pages_total[1m]) + rate(faultline_host_zswap_out_pages_total[1m]) > ${t.pagingWarningPagesPerSec}`,
      severity: 'warning',
      summary: `the host is paging: {{ $value | printf "%.0f" }} pages/s to and from swap and zswap (above ${t.pagingWarningPagesPerSec})`,
      description: 'Give memory back from the VM holding the most swap (faultline_vm_rss_bytes{kind="swap"}), or enable zswap.',
    },
    {
      alert: 'FaultlineKswapdBusy',
      expr: `100 * rate(faultline_host_kswapd_run_seconds_total[1m]) > ${t.kswapdBusyWarningPct}`,
      severity: 'warning',
      summary: `kswapd reclaiming {{ $value | printf "%.0f" }}% of the time (above ${t.kswapdBusyWarningPct}%)`,
      description: 'The host keeps running short of free pages: free memory, or drop page cache that is not needed.',
    },
    {
      alert: 'FaultlineMemoryPressureFull',
      expr: `faultline_host_psi_memory_full_avg10 > ${t.psiFullCriticalPct}`,
      severity: 'critical',
      summary: `all non-idle tasks stalled on memory {{ $value | printf "%.1f" }}% of the time (PSI full, above ${t.psiFullCriticalPct}%)`,
      description: 'See faultline_vm_reclaim_stall_seconds for who waits; free memory on the host.',
    },
    {
      alert: 'FaultlineMemoryPressure',
      expr: `faultline_host_psi_memory_some_avg10 > ${t.psiSomeWarningPct}`,
      severity: 'warning',
      summary: `tasks stalled on memory {{ $value | printf "%.1f" }}% of the time (PSI some, above ${t.psiSomeWarningPct}%)`,
      description: 'See faultline_vm_reclaim_stall_seconds for who waits.',
    },
    {
      alert: 'FaultlineOvercommit',
      expr: `100 * sum without (vm, uuid, process) (faultline_vm_memory_bytes) / faultline_host_memory_total_bytes > ${t.overcommitWarningPct}`,
      severity: 'warning',
      summary: `VMs are configured with {{ $value | printf "%.1f" }}% of RAM (above ${t.overcommitWarningPct}%)`,
      description: 'Bring the configured total to 80% of RAM: move or shrink a VM. KSM and balloons cover the excess only while guests are idle.',
    },
    {
      alert: 'FaultlineOomKill',
      expr: 'increase(faultline_host_oom_kills_total[5m]) > 0',
      severity: 'critical',
      summary: 'the OOM killer killed {{ $value | printf "%.0f" }} processes in the last 5 minutes',
      description: 'faultline_vm_oom_kills_total says which VM or process; `faultline diagnose` whether a cgroup limit or the host.',
    },
    {
      alert: 'FaultlineReclaimStallsCritical',
      expr: `1000 * rate(faultline_vm_reclaim_stall_seconds_sum[1m]) > ${t.reclaimStallCriticalMsPerSec}`,
      severity: 'critical',
      summary: `{{ $labels.vm }} stalled in reclaim {{ $value | printf "%.0f" }} ms per second (above ${t.reclaimStallCriticalMsPerSec})`,
      description: 'In a limited memory cgroup: raise its limit; else the host is short of memory.',
    },
    {
      alert: 'FaultlineReclaimStalls',
      expr: `1000 * rate(faultline_vm_reclaim_stall_seconds_sum[1m]) > ${t.reclaimStallWarningMsPerSec}`,
      severity: 'warning',
      summary: `{{ $labels.vm }} stalled in reclaim {{ $value | printf "%.0f" }} ms per second (above ${t.reclaimStallWarningMsPerSec})`,
      description: 'In a limited memory cgroup: raise its limit; else the host is short of memory.',
    },
    {
      // no raw series for cgroup usage and limits or leak verdicts: faultline's own
      // diagnosis says so, with the same thresholds
      alert: 'FaultlineCgroupNearLimit',
      expr: 'faultline_diagnosis_cause{cause="cgroup-near-limit"} == 1',
      severity: 'warning',
      summary: `{{ $labels.subject }}'s memory cgroup is above ${t.cgroupNearLimitPct}% of its limit`,
      description: 'Raise the limit (memory.max on cgroup v2, memory.limit_in_bytes on v1, virsh memtune NAME --hard-limit), or it will reclaim, swap, then be OOM-killed.',
    },
    {
      alert: 'FaultlineLeak',
      expr: 'faultline_diagnosis_cause{cause="leak"} == 1',
      severity: 'warning',
      summary: '{{ $labels.subject }} keeps growing (faultline leak verdict)',
      description: 'Find where: `sudo faultline leaks --pid PID`; for a VM, check the guest, then balloon it down.',
    },
    // the guest's own view (libvirt VMs, virsh domstats): MemAvailable, else MemFree for
    // guests that do not report it, against what the balloon gives the guest
    {
      alert: 'FaultlineGuestMemoryLow',
      expr: `100 * max without (kind) (faultline_vm_guest_memory_bytes{kind="mem_available"} or ignoring (kind) faultline_vm_guest_memory_bytes{kind="mem_free"}) / ignoring (kind) faultline_vm_balloon_bytes{kind="current"} < ${t.guestAvailableWarningPct}`,
      severity: 'warning',
      summary: `{{ $labels.vm }}: the guest has {{ $value | printf "%.1f" }}% of its memory available (below ${t.guestAvailableWarningPct}%)`,
      description: 'Give the guest memory back through its balloon (virsh setmem NAME SIZE --live), or at its maximum raise that (virsh setmaxmem NAME SIZE --config) and restart it; `faultline diagnose` gives SIZE.',
    },
    {
      alert: 'FaultlineGuestSwapping',
      expr: `(rate(faultline_vm_guest_swap_in_bytes_total[1m]) + rate(faultline_vm_guest_swap_out_bytes_total[1m])) / 4096 > ${t.guestSwapWarningPagesPerSec}`,
      severity: 'warning',
      summary: `{{ $labels.vm }}: the guest swaps {{ $value | printf "%.0f" }} pages/s (above ${t.guestSwapWarningPagesPerSec})`,
      description: 'The guest is short of memory by its own count: give it memory (virsh setmem NAME SIZE --live), or find what fills it inside the guest.',
    },
    // the causes whose inputs are faultline's own (slab caches, page-cache churn, huge
    // pages of guest RAM, compaction stalls, balloons, NUMA placement): one rule per
    // severity, the cause in its labels
    {
      alert: 'FaultlineDiagnosisCritical',
      expr: `faultline_diagnosis_cause{cause=~"${DIAGNOSIS_ONLY.join('|')}",severity="critical"} == 1`,
      severity: 'critical',
      summary: '{{ $labels.subject }}: {{ $labels.cause }} (faultline diagnosis, critical)',
      description: '`sudo faultline diagnose` on the host says why, with the numbers, and what to do; docs/diagnosis.md lists the causes.',
    },
    {
      alert: 'FaultlineDiagnosis',
      expr: `faultline_diagnosis_cause{cause=~"${DIAGNOSIS_ONLY.join('|')}",severity="warning"} == 1`,
      severity: 'warning',
      summary: '{{ $labels.subject }}: {{ $labels.cause }} (faultline diagnosis)',
      description: '`sudo faultline diagnose` on the host says why, with the numbers, and what to do; docs/diagnosis.md lists the causes.',
    },
  ];
}

const q = (text: string): string => JSON.stringify(text);

export function alertRulesYaml(t: Thresholds, timing: RuleTiming = DEFAULT_RULE_TIMING): string {
  const lines = [
    '# Prometheus alerting rules for faultline (one faultline per host, scraped at /metrics).',
    '# Made by `faultline rules` from the diagnosis thresholds (docs/diagnosis.md); with',
    '# --thresholds FILE the same file changes both. Do not edit: regenerate.',
    'groups:',
    '  - name: faultline',
    '    rules:',
  ];
  for (const r of alertRules(t)) {
    lines.push(
      `      - alert: ${r.alert}`,
      `        expr: ${q(r.expr)}`,
      `        for: ${r.severity === 'critical' ? timing.criticalFor : timing.warningFor}`,
      '        labels:',
      `          severity: ${r.severity}`,
      '        annotations:',
      `          summary: ${q(r.summary)}`,
      `          description: ${q(r.description)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
