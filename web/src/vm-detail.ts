// The selected VM (or host process): who it is, its charts over time, where it faults
// (hotspot table, heat strip of guest-physical memory, KVM mapping levels) and its
// events. A VM that left the latest snapshot keeps its charts, marked as gone.
import type { FaultlineEvent, GuestMemory, Snapshot, VmHeat, VmSnapshot } from '../../src/model/snapshot.js';
import { VmCharts } from './charts.js';
import type { Columns } from './columns.js';
import { DeepLeaks } from './deep-leaks.js';
import { byId, setText } from './dom.js';
import { EventList, type EventLog } from './events.js';
import { formatBytes } from '../../src/format/quantities.js';
import { formatHex } from './format.js';
import { HeatStrip } from './heat-strip.js';
import { HotspotTable } from './hotspots.js';
import { MappingSplit } from './mapping-split.js';
import { ExitReasons } from './exit-reasons.js';
import { missingPointNote } from './probe-points.js';
import { ROW_KIND_WORDS, rowKindOf, showForKind, type RowKind } from './row-kind.js';

export interface DetailView {
  snapshot: Snapshot;
  columns: Columns;
  selectedId: string;
  events: EventLog;
  /** Replay: the time looked at; null live. */
  markerMs: number | null;
  /** The server offers deep leak mode (Meta.deepLeaks). */
  deepLeaks: boolean;
  /** The server's heat totals of the selected VM; null when it has none. */
  heat: VmHeat | null;
}

export class VmDetail {
  readonly charts: VmCharts;
  readonly heat: HeatStrip;
  readonly mapping: MappingSplit;
  readonly hotspots: HotspotTable;
  private readonly exits = new ExitReasons(byId('detail-exits'));
  private readonly events: EventList;
  private readonly deep = new DeepLeaks(byId('detail-deep'));
  private readonly title = byId('detail-title');
  private readonly facts = byId('detail-facts');
  private readonly findings = byId('detail-findings');
  private readonly root = byId('detail');

  constructor(nameOf: (e: FaultlineEvent) => string) {
    this.charts = new VmCharts(byId('detail-charts'));
    this.hotspots = new HotspotTable(byId('detail-hotspots'));
    this.heat = new HeatStrip(byId('detail-heat'));
    this.mapping = new MappingSplit(byId('detail-mapping'));
    this.events = new EventList(byId('detail-events'), nameOf, null, 'No events for this process yet.');
  }

  update(view: DetailView): void {
    const vm = view.snapshot.vms.find((v) => v.id === view.selectedId) ?? null;
    const series = view.columns.vms.get(view.selectedId);
    const name = vm?.name || series?.name || '';
    setText(this.title, view.selectedId ? name || view.selectedId : 'Select a VM or process in the table');
    const kind = rowKindOf(vm, series);
    this.root.dataset.rowKind = kind;
    showForKind(this.root, kind);
    setText(this.facts, vm ? facts(vm, kind, view.snapshot) : view.selectedId ? `${view.selectedId} · not in the latest snapshot (exited?)` : '');
    this.showFindings(vm);
    this.deep.update(vm, view.deepLeaks && view.markerMs === null);
    this.charts.show(view.columns, view.selectedId, kind);
    this.charts.setMarker(view.markerMs);
    this.hotspots.update(vm, kind);
    this.heat.render(vm && kind !== 'process' ? vm : null, view.heat);
    this.mapping.render(vm, view.heat, view.snapshot.probes);
    this.exits.render(vm);
    const pid = vm?.pid ?? -1;
    this.events.render(view.events, view.selectedId, (e) => e.vmId === view.selectedId || (!e.vmId && e.pid === pid), view.markerMs ?? Infinity);
  }

  private showFindings(vm: VmSnapshot | null): void {
    // leak and suspect first; the box is alarming only when one of those is there
    const rank = (verdict: string): number => (verdict === 'leak' ? 0 : verdict === 'suspect' ? 1 : 2);
    const findings = vm ? [...vm.findings].sort((a, b) => rank(a.verdict) - rank(b.verdict)) : [];
    const messages = findings.map((f) => `${f.verdict}: ${f.message}`);
    if (vm && !messages.length && (vm.leak.verdict === 'leak' || vm.leak.verdict === 'suspect')) {
      messages.push(`${vm.leak.verdict}: growing ${formatBytes(vm.leak.growthBytesPerSec)}/s`);
    }
    setText(this.findings, messages.join('\n'));
    this.findings.classList.toggle('calm', !findings.some((f) => rank(f.verdict) < 2) && !(vm && rank(vm.leak.verdict) < 2));
    this.findings.hidden = messages.length === 0;
  }
}

function facts(vm: VmSnapshot, kind: RowKind, snapshot: Snapshot): string {
  const parts: string[] = [kind === 'process' ? ROW_KIND_WORDS[kind] : `${ROW_KIND_WORDS[kind]} · ${vm.source}`];
  parts.push(`pid ${vm.pid}`);
  if (vm.uuid) parts.push(`uuid ${vm.uuid}`);
  if (vm.vmid) parts.push(`vmid ${vm.vmid}`);
  parts.push(`comm ${vm.comm}`);
  if (vm.memoryBytes) parts.push(`${formatBytes(vm.memoryBytes)} configured`);
  if (vm.guestRamEnd > vm.guestRamStart) parts.push(`guest RAM at ${formatHex(vm.guestRamStart)}–${formatHex(vm.guestRamEnd - 1)}`);
  if (vm.cgroup.path) parts.push(`cgroup ${vm.cgroup.path}${vm.cgroup.limitBytes ? ` (limit ${formatBytes(vm.cgroup.limitBytes)})` : ''}`);
  if (vm.ksmMergedPages) parts.push(`KSM ${formatBytes(vm.ksmMergedPages * 4096)} merged`);
  const guest = guestFact(vm.guestMemory);
  if (guest) parts.push(guest);
  if (vm.faults.fileSource === 'proc-majflt') {
    const missing = missingPointNote(snapshot.probes, 'filemap:mm_filemap_fault');
    parts.push(`file faults = major faults from /proc/PID/stat${missing ? ` (${missing})` : ''}`);
  }
  return parts.join(' · ');
}

/** "guest: 180 MiB available of its 256 MiB balloon (70%) ..." from libvirt's reading
 * (virsh domstats --balloon); '' without one. A snapshot without it decodes to the
 * message's default here (every figure 0), not null. */
export function guestFact(g: GuestMemory | null | undefined): string {
  if (!g || !(g.readAtMs > 0) || !(g.balloonCurrentBytes > 0)) return '';
  const available = g.memAvailableBytes >= 0 ? g.memAvailableBytes : g.memFreeBytes;
  const parts = g.guestUpdatedMs > 0 && available >= 0
    ? [`${formatBytes(available)} ${g.memAvailableBytes >= 0 ? 'available' : 'free'} of its ${formatBytes(g.balloonCurrentBytes)} balloon (${Math.round((100 * available) / g.balloonCurrentBytes)}%)`]
    : [`balloon ${formatBytes(g.balloonCurrentBytes)} (the guest reports no figures: no stats period, or no balloon driver)`];
  if (g.balloonMaximumBytes > g.balloonCurrentBytes) parts.push(`maximum ${formatBytes(g.balloonMaximumBytes)}`);
  if (g.swapInPagesPerSec >= 0 && g.guestUpdatedMs > 0) parts.push(`swap ${Math.round(g.swapInPagesPerSec)} in, ${Math.round(g.swapOutPagesPerSec)} out pages/s`);
  return `guest: ${parts.join(', ')}`;
}
