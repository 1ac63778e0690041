// The selected VM's hottest 2 MiB regions, most faults first: what the region is
// (guest RAM, heap, a file...), its mapping, the host virtual address, the
// guest-physical range when the region is guest RAM, and its faults. From the latest
// snapshot; when that interval had none, the last interval that had some, with its
// time (a table that blanks every quiet second is no use to a reader).
// Fault counts are estimates (sampled in the kernel, scaled; see probes/faults.bt).
import type { Hotspot, Snapshot, VmSnapshot } from '../../src/model/snapshot.js';
import { el, setText, setTitle } from './dom.js';
import { formatBytes, formatCount } from '../../src/format/quantities.js';
import { formatClock, formatHex } from './format.js';
import type { RowKind } from './row-kind.js';

const MAX_ROWS = 12;
const HEADERS = ['Region', 'Mapping', 'Host address', 'Guest-physical', 'Faults'];

interface Row {
  tr: HTMLTableRowElement;
  cells: HTMLTableCellElement[];
}

/** "0x4000000–0x41fffff (2 MiB)", or '' when the region is not guest RAM. */
export function guestPhysRange(h: Hotspot): string {
  if (h.guestPhysAddress < 0) return '';
  const bytes = h.bytes > 0 ? h.bytes : 2 * 1024 * 1024;
  return `${formatHex(h.guestPhysAddress)}–${formatHex(h.guestPhysAddress + bytes - 1)}`;
}

export class HotspotTable {
  private readonly table: HTMLTableElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly rows: Row[] = [];
  private readonly empty: HTMLElement;
  private readonly caption: HTMLElement;
  /** Per VM id: the last non-empty hotspot list and its snapshot time. */
  private readonly lastSeen = new Map<string, { hotspots: Hotspot[]; timeMs: number }>();

  constructor(container: HTMLElement) {
    const table = (this.table = el('table', 'hotspots'));
    const head = el('thead');
    const tr = el('tr');
    HEADERS.forEach((h, i) => tr.append(el('th', i === HEADERS.length - 1 ? 'num' : 'text', h)));
    head.append(tr);
    this.tbody = el('tbody');
    table.append(head, this.tbody);
    this.empty = el('div', 'empty', 'No faulting regions seen yet.');
    this.caption = el('div', 'caption');
    container.append(table, this.empty, this.caption);
  }

  /** Remembers each VM's latest non-empty hotspots (every VM, so a selection is instant). */
  remember(snapshot: Snapshot): void {
    const present = new Set<string>();
    for (const vm of snapshot.vms) {
      present.add(vm.id);
      if (vm.hotspots.length) this.lastSeen.set(vm.id, { hotspots: vm.hotspots, timeMs: snapshot.timeMs });
    }
    for (const id of this.lastSeen.keys()) if (!present.has(id)) this.lastSeen.delete(id);
  }

  /** Forget (a new session, or replay moved backwards). */
  reset(): void {
    this.lastSeen.clear();
  }

  /** kind: a host process has no guest-physical column. */
  update(vm: VmSnapshot | null, kind: RowKind): void {
    this.table.classList.toggle('no-guest', kind === 'process');
    const seen = vm ? this.lastSeen.get(vm.id) : undefined;
    const shown = vm?.hotspots.length ? vm.hotspots : (seen?.hotspots ?? []);
    const hotspots = [...shown].sort((a, b) => b.faults - a.faults).slice(0, MAX_ROWS);
    setText(
      this.caption,
      !hotspots.length ? '' : vm?.hotspots.length || !seen ? 'Latest interval.' : `No faults this interval; these are from ${formatClock(seen.timeMs)}.`,
    );
    while (this.rows.length < hotspots.length) {
      const tr = el('tr');
      const cells = HEADERS.map((_, i) => el('td', i === HEADERS.length - 1 ? 'num' : i >= 2 ? 'text mono' : 'text'));
      tr.append(...cells);
      this.rows.push({ tr, cells });
    }
    this.rows.forEach((row, i) => {
      const h = hotspots[i];
      if (!h) {
        row.tr.remove();
        return;
      }
      const [region, mapping, host, guest, faults] = row.cells as [HTMLTableCellElement, HTMLTableCellElement, HTMLTableCellElement, HTMLTableCellElement, HTMLTableCellElement];
      setText(region, h.region);
      region.dataset.region = h.region;
      setText(mapping.firstChild ?? mapping.appendChild(el('span', 'mapping-text')), h.mapping || '–');
      setTitle(mapping, h.mapping);
      setText(host, formatHex(h.startAddress));
      setText(guest, guestPhysRange(h));
      setText(faults, formatCount(h.faults));
      setTitle(row.tr, `${formatBytes(h.bytes)} region, faults counted from ${h.source === 'kvm' ? 'EPT faults' : 'host user faults'}`);
      // rows are taken in order and dropped from the tail, so appending keeps the order
      if (row.tr.parentNode !== this.tbody) this.tbody.append(row.tr);
    });
    this.empty.hidden = hotspots.length > 0;
  }
}
