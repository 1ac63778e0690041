// The host at a glance, one card per question: how much memory is left, is it
// swapping, is it under pressure, is it reclaiming, did anything get OOM-killed, and
// are the probes all there. Values are the latest snapshot's (replay: the one in force
// at the time looked at); OOM kills also show how many the Events panel lists.
import type { Snapshot } from '../../src/model/snapshot.js';
import { el, setText, setTitle } from './dom.js';
import { formatBytes, formatCount, formatPerSec } from '../../src/format/quantities.js';
import { formatPercent } from './format.js';

interface Card {
  root: HTMLElement;
  value: HTMLElement;
  detail: HTMLElement;
  meter: HTMLElement | null;
}

type Level = 'ok' | 'warn' | 'bad';

function card(parent: HTMLElement, label: string, withMeter: boolean): Card {
  const root = el('div', 'card');
  root.append(el('div', 'card-label', label));
  const value = el('div', 'card-value', '–');
  root.append(value);
  let meter: HTMLElement | null = null;
  if (withMeter) {
    const track = el('div', 'meter');
    meter = el('div', 'meter-fill');
    track.append(meter);
    root.append(track);
  }
  const detail = el('div', 'card-detail');
  root.append(detail);
  parent.append(root);
  return { root, value, detail, meter };
}

function setLevel(c: Card, level: Level): void {
  c.root.dataset.level = level;
}

export class HostBar {
  private readonly memory: Card;
  private readonly swap: Card;
  private readonly pressure: Card;
  private readonly reclaim: Card;
  private readonly oom: Card;
  private readonly probes: Card;

  constructor(root: HTMLElement) {
    this.memory = card(root, 'Memory available', true);
    this.swap = card(root, 'Swap used', true);
    this.pressure = card(root, 'Pressure (PSI avg10)', false);
    this.reclaim = card(root, 'Reclaim', false);
    this.oom = card(root, 'OOM kills', false);
    this.probes = card(root, 'Probes', false);
  }

  /** oomKillsListed: OOM kills in the charted window up to now (replay: up to the time
   * looked at), the ones the Events panel shows. */
  update(s: Snapshot, oomKillsListed: number, replay: boolean): void {
    const h = s.host;
    const perSec = s.intervalMs > 0 ? 1000 / s.intervalMs : 0;

    const availFraction = h.memTotalBytes > 0 ? h.memAvailableBytes / h.memTotalBytes : 1;
    setText(this.memory.value, formatBytes(h.memAvailableBytes));
    setText(this.memory.detail, `${formatPercent(availFraction)} of ${formatBytes(h.memTotalBytes)} · page cache ${formatBytes(h.cachedBytes)}`);
    this.meterTo(this.memory, availFraction); // a fuel gauge: empty and red is bad
    setLevel(this.memory, availFraction < 0.05 ? 'bad' : availFraction < 0.15 ? 'warn' : 'ok');

    const swapFraction = h.swapTotalBytes > 0 ? h.swapUsedBytes / h.swapTotalBytes : 0;
    setText(this.swap.value, h.swapTotalBytes > 0 ? formatBytes(h.swapUsedBytes) : 'no swap');
    // zswap traffic is paging too (recordings made before it decode it as 0)
    const zswapIo = h.vmstat.zswpin + h.vmstat.zswpout;
    const swapIo = h.vmstat.pswpin + h.vmstat.pswpout + zswapIo;
    const zswap = h.zswapBytes > 0 || zswapIo > 0
      ? ` · zswap ${formatBytes(h.zswapBytes)}, in ${formatPerSec(h.vmstat.zswpin * perSec)} out ${formatPerSec(h.vmstat.zswpout * perSec)}`
      : '';
    setText(
      this.swap.detail,
      `${h.swapTotalBytes > 0 ? `of ${formatBytes(h.swapTotalBytes)} · ` : ''}in ${formatPerSec(h.vmstat.pswpin * perSec)} out ${formatPerSec(h.vmstat.pswpout * perSec)} pages${zswap}`,
    );
    this.meterTo(this.swap, swapFraction);
    setLevel(this.swap, swapIo * perSec > 1000 ? 'bad' : swapIo > 0 ? 'warn' : 'ok');

    if (h.psiMemSomeAvg10 < 0) {
      setText(this.pressure.value, 'n/a');
      setText(this.pressure.detail, '/proc/pressure/memory is missing');
      setLevel(this.pressure, 'ok');
    } else {
      setText(this.pressure.value, `some ${h.psiMemSomeAvg10.toFixed(1)}%`);
      setText(this.pressure.detail, `full ${h.psiMemFullAvg10.toFixed(1)}%: share of the last 10 s that tasks stalled on memory`);
      setLevel(this.pressure, h.psiMemFullAvg10 >= 5 ? 'bad' : h.psiMemSomeAvg10 >= 1 ? 'warn' : 'ok');
    }

    const scanned = h.vmstat.pgscanDirect + h.vmstat.pgscanKswapd;
    setText(this.reclaim.value, `${formatPerSec(scanned * perSec)} scanned`);
    setText(
      this.reclaim.detail,
      `direct ${formatPerSec(h.vmstat.pgscanDirect * perSec)} · kswapd wakes ${formatCount(h.kswapdWakes)} · compaction stalls ${formatCount(h.compactionStalls)}`,
    );
    setLevel(this.reclaim, h.vmstat.pgscanDirect > 0 ? 'bad' : scanned > 0 ? 'warn' : 'ok');

    setText(this.oom.value, formatCount(h.vmstat.oomKill));
    setText(this.oom.detail, `this interval · ${formatCount(oomKillsListed)} ${replay ? 'from the start to this time' : 'in the charted window'}`);
    this.oom.root.dataset.listed = String(oomKillsListed);
    setLevel(this.oom, h.vmstat.oomKill > 0 ? 'bad' : oomKillsListed > 0 ? 'warn' : 'ok');

    const p = s.probes;
    const missing = p.groups.filter((g) => !g.attached).map((g) => g.group);
    const groupCount = Math.max(p.groups.length, p.attached.length);
    setText(this.probes.value, `${p.attached.length} of ${groupCount} attached`);
    setText(
      this.probes.detail,
      `${missing.length ? `missing ${missing.join(' ')} · ` : ''}${formatCount(p.lostEvents)} lost events · ${guestFaultSourceText(p.guestFaultSource)}`,
    );
    setTitle(this.probes.root, p.groups.map((g) => `${g.group}: ${g.attached ? 'attached' : 'not attached'}${g.error ? ` (${g.error})` : ''}`).join('\n'));
    setLevel(this.probes, p.attached.length === 0 ? 'bad' : missing.length || p.lostEvents > 0 ? 'warn' : 'ok');
  }

  private meterTo(c: Card, fraction: number): void {
    if (!c.meter) return;
    const width = `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
    if (c.meter.style.width !== width) c.meter.style.width = width;
  }
}

/** Where guest-RAM faults are counted from, in the card's words. */
export function guestFaultSourceText(source: string): string {
  if (source === 'kvm') return 'guest faults: NPT/EPT faults (KVM)';
  if (source === 'user-faults') return 'guest faults: host user faults in guest RAM (TCG)';
  return 'no VM seen yet';
}
