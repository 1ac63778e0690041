// Every VM, then the host processes, one row each; click a header to sort, a row to
// select it. Rows are made once per VM id and reused: an update only rewrites the
// cells whose text changed and moves rows only when the order changed, so 100 VMs
// at one snapshot per second stay cheap.
import type { Snapshot, VmSnapshot } from '../../src/model/snapshot.js';
import { el, setText, setTitle } from './dom.js';
import { shortExit } from '../../src/format/exit-words.js';
import { formatBytes, formatCount, formatDuration } from '../../src/format/quantities.js';

interface ColumnDef {
  key: string;
  label: string;
  title: string;
  /** Sort key (numbers sort descending first, text ascending). */
  value(vm: VmSnapshot, perSec: number): number | string;
  text(vm: VmSnapshot, perSec: number): string;
}


const COLUMNS: ColumnDef[] = [
  { key: 'name', label: 'Name', title: 'VM name (libvirt, Proxmox, OpenStack) or process name; uuid or id below', value: (v) => v.name.toLowerCase(), text: (v) => v.name },
  { key: 'pid', label: 'PID', title: 'process id', value: (v) => v.pid, text: (v) => String(v.pid) },
  { key: 'memory', label: 'Memory', title: 'configured guest memory (-m)', value: (v) => v.memoryBytes, text: (v) => (v.memoryBytes ? formatBytes(v.memoryBytes) : '') },
  { key: 'rss', label: 'RSS', title: 'resident memory of the process, all kinds', value: (v) => v.rss.totalBytes, text: (v) => formatBytes(v.rss.totalBytes) },
  { key: 'guestRam', label: 'Guest RAM', title: 'resident bytes of the guest-RAM mapping', value: (v) => v.rss.guestRamBytes, text: (v) => (v.kind === 'vm' ? formatBytes(v.rss.guestRamBytes) : '') },
  { key: 'ownAnon', label: "QEMU's own", title: "QEMU's own memory: anonymous and shmem resident bytes that are not guest RAM (its heap and buffers)", value: (v) => v.rss.ownAnonBytes, text: (v) => (v.kind === 'vm' ? formatBytes(v.rss.ownAnonBytes) : '') },
  { key: 'swap', label: 'Swap', title: 'swapped-out bytes', value: (v) => v.rss.swapBytes, text: (v) => formatBytes(v.rss.swapBytes) },
  { key: 'faults', label: 'Faults/s', title: 'host page faults per second (minor + major, /proc/PID/stat)', value: (v, s) => (v.faults.minor + v.faults.major) * s, text: (v, s) => formatCount((v.faults.minor + v.faults.major) * s) },
  { key: 'guestFaults', label: 'Guest-RAM faults/s', title: 'faults that populated guest RAM per second (NPT/EPT faults under KVM, host user faults under TCG)', value: (v, s) => v.faults.guestRam * s, text: (v, s) => (v.kind === 'vm' ? formatCount(v.faults.guestRam * s) : '') },
  { key: 'ept', label: 'NPT/EPT faults/s', title: 'NPT/EPT faults per second: KVM nested page faults (AMD NPT, Intel EPT violations; kvm:kvm_page_fault); empty for TCG guests and processes', value: (v, s) => v.kvm.eptFaults * s, text: (v, s) => (v.faults.guestRamSource === 'kvm' ? formatCount(v.kvm.eptFaults * s) : '') },
  { key: 'stall', label: 'Stall', title: 'time stalled in direct or memcg reclaim this interval (empty: none)', value: (v) => v.reclaim.stallNs, text: (v) => (v.reclaim.stallNs > 0 ? formatDuration(v.reclaim.stallNs / 1e6) : '') },
  { key: 'oom', label: 'OOM', title: "OOM kills in the process's memory cgroup", value: (v) => v.cgroup.oomKills, text: (v) => (v.cgroup.oomKills ? String(v.cgroup.oomKills) : '') },
];

interface Row {
  tr: HTMLTableRowElement;
  cells: HTMLTableCellElement[];
  name: HTMLElement;
  sub: HTMLElement;
  badge: HTMLElement;
}

/** The badge for a VM's findings: the worst verdict, or '' for none. */
export function findingsBadge(vm: VmSnapshot): '' | 'leak' | 'suspect' {
  const verdicts = [vm.leak.verdict, ...vm.findings.map((f) => f.verdict)];
  if (verdicts.includes('leak')) return 'leak';
  if (verdicts.includes('suspect')) return 'suspect';
  return '';
}

export class VmTable {
  private readonly tbody: HTMLTableSectionElement;
  private readonly processHeader: HTMLTableRowElement;
  private readonly headers = new Map<string, HTMLTableCellElement>();
  private readonly rows = new Map<string, Row>();
  private sortKey = 'rss';
  private sortAscending = false;
  private last: Snapshot | null = null;
  private selectedId = '';

  constructor(
    table: HTMLTableElement,
    private readonly onSelect: (id: string) => void,
  ) {
    const head = el('thead');
    const tr = el('tr');
    for (const column of COLUMNS) {
      const th = el('th', column.key === 'name' ? 'text' : 'num', column.label);
      th.title = `${column.title} (click to sort)`;
      th.dataset.key = column.key;
      th.tabIndex = 0;
      th.addEventListener('click', () => this.sortBy(column.key));
      th.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          this.sortBy(column.key);
        }
      });
      this.headers.set(column.key, th);
      tr.append(th);
    }
    head.append(tr);
    this.tbody = el('tbody');
    table.append(head, this.tbody);
    this.processHeader = el('tr', 'group-row');
    const th = el('th', 'text', 'Host processes');
    th.colSpan = COLUMNS.length;
    this.processHeader.append(th);
    this.tbody.addEventListener('click', (e) => {
      const id = (e.target as HTMLElement).closest('tr')?.dataset.id;
      if (id) this.onSelect(id);
    });
    this.tbody.addEventListener('keydown', (e) => {
      const id = (e.target as HTMLElement).closest('tr')?.dataset.id;
      if (id && (e.key === 'Enter' || e.key === ' ')) {
        e.preventDefault();
        this.onSelect(id);
      }
    });
    this.markSortHeader();
  }

  /** The snapshot's ids in display order, VMs first. */
  order(snapshot: Snapshot): string[] {
    return this.sorted(snapshot).map((v) => v.id);
  }

  update(snapshot: Snapshot, selectedId: string): void {
    this.last = snapshot;
    this.selectedId = selectedId;
    const perSec = snapshot.intervalMs > 0 ? 1000 / snapshot.intervalMs : 0;
    const sorted = this.sorted(snapshot);
    const wanted: HTMLTableRowElement[] = [];
    const present = new Set<string>();
    let processesStarted = false;
    for (const vm of sorted) {
      if (vm.kind !== 'vm' && !processesStarted) {
        processesStarted = true;
        wanted.push(this.processHeader);
      }
      present.add(vm.id);
      const row = this.rowFor(vm.id);
      this.fill(row, vm, perSec);
      wanted.push(row.tr);
    }
    for (const [id, row] of this.rows) {
      if (!present.has(id)) {
        row.tr.remove();
        this.rows.delete(id);
      }
    }
    if (!processesStarted) this.processHeader.remove();
    // move rows only when the order differs
    let node = this.tbody.firstElementChild;
    for (const tr of wanted) {
      if (node !== tr) this.tbody.insertBefore(tr, node);
      else node = node.nextElementSibling;
    }
  }

  select(id: string): void {
    this.selectedId = id;
    for (const [rowId, row] of this.rows) row.tr.classList.toggle('selected', rowId === id);
  }

  private sorted(snapshot: Snapshot): VmSnapshot[] {
    const column = COLUMNS.find((c) => c.key === this.sortKey) ?? COLUMNS[0]!;
    const perSec = snapshot.intervalMs > 0 ? 1000 / snapshot.intervalMs : 0;
    const keyed = snapshot.vms.map((vm) => ({ vm, key: column.value(vm, perSec) }));
    const direction = this.sortAscending ? 1 : -1;
    keyed.sort((a, b) => {
      if (a.vm.kind !== b.vm.kind) return a.vm.kind === 'vm' ? -1 : 1;
      const cmp = a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
      return cmp * direction || a.vm.id.localeCompare(b.vm.id);
    });
    return keyed.map((k) => k.vm);
  }

  private sortBy(key: string): void {
    if (this.sortKey === key) this.sortAscending = !this.sortAscending;
    else {
      this.sortKey = key;
      this.sortAscending = key === 'name'; // text ascending, numbers biggest first
    }
    this.markSortHeader();
    if (this.last) this.update(this.last, this.selectedId);
  }

  private markSortHeader(): void {
    for (const [key, th] of this.headers) {
      if (key === this.sortKey) th.dataset.sort = this.sortAscending ? 'asc' : 'desc';
      else delete th.dataset.sort;
    }
  }

  private rowFor(id: string): Row {
    let row = this.rows.get(id);
    if (row) return row;
    const tr = el('tr');
    tr.dataset.id = id;
    tr.tabIndex = 0; // selectable from the keyboard too
    const cells = COLUMNS.map((c) => el('td', c.key === 'name' ? 'text' : 'num'));
    const nameCell = cells[0]!;
    const name = el('span', 'vm-name');
    const badge = el('span', 'badge');
    const sub = el('span', 'vm-sub');
    nameCell.append(name, badge, sub);
    tr.append(...cells);
    row = { tr, cells, name, sub, badge };
    this.rows.set(id, row);
    return row;
  }

  private fill(row: Row, vm: VmSnapshot, perSec: number): void {
    setText(row.name, vm.name || vm.comm || `pid ${vm.pid}`);
    // short uuid (like a short commit id); the full one in the title and the VM detail
    // the browser decodes an absent exit as {atMs: 0, cause: '', ...} (proto-reader.ts)
    const ended = vm.exit?.cause ? shortExit(vm.exit) : '';
    const sub = vm.kind === 'vm' ? (vm.uuid ? vm.uuid.slice(0, 8) : vm.vmid ? `vmid ${vm.vmid}` : vm.id) : vm.comm === row.name.textContent ? '' : vm.comm;
    setText(row.sub, ended ? `${ended}${sub ? ` · ${sub}` : ''}` : sub);
    setTitle(row.cells[0]!, `${vm.name}\n${vm.kind === 'vm' ? `${vm.source} VM` : 'host process'} · id ${vm.id}${vm.uuid ? ` · uuid ${vm.uuid}` : ''}${vm.vmid ? ` · vmid ${vm.vmid}` : ''} · comm ${vm.comm}`);
    const badge = findingsBadge(vm);
    setText(row.badge, badge);
    row.badge.dataset.verdict = badge;
    setTitle(row.badge, vm.findings.map((f) => `${f.detector}: ${f.message}`).join('\n'));
    for (let i = 1; i < COLUMNS.length; i++) setText(row.cells[i]!, COLUMNS[i]!.text(vm, perSec));
    row.tr.classList.toggle('selected', vm.id === this.selectedId);
    row.tr.classList.toggle('process', vm.kind !== 'vm');
  }
}
