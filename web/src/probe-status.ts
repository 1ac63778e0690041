// What is being traced: each probe group (attached or not, and why), events the
// kernel dropped, output lines that did not parse, where guest-RAM faults are counted
// from, and what each BPF program costs when the kernel measures it (bpf_stats).
import type { Meta, ProbeStatus } from '../../src/model/snapshot.js';
import { clear, el, setText } from './dom.js';
import { formatCount } from '../../src/format/quantities.js';
import { guestFaultSourceText } from './host-bar.js';

export class ProbeStatusPanel {
  private readonly summary: HTMLElement;
  private readonly groups: HTMLUListElement;
  private readonly costs: HTMLTableSectionElement;
  private readonly costsBox: HTMLDetailsElement;
  private readonly costsSummary: HTMLElement;
  private drawnKey = '';

  constructor(container: HTMLElement) {
    this.summary = el('div', 'probe-summary');
    this.groups = el('ul', 'probe-groups');
    // costs can list a dozen programs: folded, with the dearest one in the summary line
    this.costsBox = el('details', 'probe-costs');
    this.costsSummary = el('summary');
    const costsTable = el('table', 'compact');
    costsTable.append(headRow(['Program', 'ns/event', 'events/s']));
    this.costs = el('tbody');
    costsTable.append(this.costs);
    this.costsBox.append(this.costsSummary, costsTable);
    container.append(this.groups, this.summary, this.costsBox);
  }

  update(probes: ProbeStatus, meta: Meta | null): void {
    const key = JSON.stringify(probes);
    if (key === this.drawnKey) return; // nothing changed: keep the DOM
    this.drawnKey = key;
    const version = probes.bpftraceVersion || meta?.bpftraceVersion || '';
    const processes = processesText(probes);
    setText(
      this.summary,
      `${guestFaultSourceText(probes.guestFaultSource)} · ${formatCount(probes.lostEvents)} lost events, ${formatCount(probes.badLines)} bad lines this interval${version ? ` · bpftrace ${version}` : ''}${processes ? ` · ${processes}` : ''}`,
    );
    clear(this.groups);
    const groups = probes.groups.length
      ? probes.groups
      : probes.attached.map((group) => ({ group, attached: true, error: '', lostEvents: 0, badLines: 0, points: [] }));
    for (const g of groups) {
      const item = el('li');
      item.dataset.state = g.attached ? 'attached' : 'missing';
      item.append(el('span', 'probe-group', `${g.group} ${g.attached ? '✓' : '✗ not attached'}`));
      if (g.lostEvents || g.badLines) item.append(el('span', 'probe-counts', ` ${formatCount(g.lostEvents)} lost, ${formatCount(g.badLines)} bad lines`));
      if (g.error) item.append(el('div', 'probe-error', g.error));
      // tracepoints this kernel lacks: the group runs without them
      for (const p of (g.points ?? []).filter((p) => p.state !== 'attached' || p.reason)) {
        const what = p.state === 'attached' ? 'in an older shape' : p.state === 'missing' ? 'not on this kernel' : 'not used';
        const line = `${p.state === 'attached' ? '◐' : '✗'} ${p.point}: ${what}${p.reason && p.state !== 'missing' ? ` (${p.reason})` : ''}${p.needs ? `; needs ${p.needs}` : ''}${p.fallback && p.state !== 'attached' ? `; instead: ${p.fallback}` : ''}`;
        const point = el('div', 'probe-point', line);
        point.dataset.point = p.point;
        point.dataset.state = p.state;
        item.append(point);
      }
      this.groups.append(item);
    }
    clear(this.costs);
    for (const c of probes.costs) {
      const tr = el('tr');
      tr.append(el('td', 'text', `${c.group}: ${c.program}`), el('td', 'num', c.nsPerEvent.toFixed(0)), el('td', 'num', formatCount(Math.round(c.eventsPerSec))));
      this.costs.append(tr);
    }
    const dearest = [...probes.costs].sort((a, b) => b.nsPerEvent * b.eventsPerSec - a.nsPerEvent * a.eventsPerSec)[0];
    const cpuPercent = probes.costs.reduce((sum, c) => sum + c.nsPerEvent * c.eventsPerSec, 0) / 1e7;
    setText(
      this.costsSummary,
      dearest
        ? `Probe cost: ${cpuPercent.toFixed(1)}% of one CPU; dearest ${dearest.group}: ${dearest.program} ${dearest.nsPerEvent.toFixed(0)} ns × ${formatCount(Math.round(dearest.eventsPerSec))}/s`
        : '',
    );
    this.costsBox.hidden = probes.costs.length === 0;
  }
}

/** How the groups run: one bpftrace for all of them, or one each and why ('' when
 * the snapshot does not say: one group, or a recording made before). */
function processesText(probes: ProbeStatus): string {
  // recordings made before these fields decode them as [] and ''
  const shared = probes.groups.find((g) => g.attached && g.sharesProcessWith?.length);
  if (shared) return `one bpftrace runs ${[shared.group, ...shared.sharesProcessWith].join(', ')}`;
  const reason = probes.groups.find((g) => g.ownProcessReason)?.ownProcessReason;
  return reason ? `one bpftrace per group (${reason})` : '';
}

function headRow(labels: string[]): HTMLTableSectionElement {
  const head = el('thead');
  const tr = el('tr');
  labels.forEach((l, i) => tr.append(el('th', i === 0 ? 'text' : 'num', l)));
  head.append(tr);
  return head;
}
