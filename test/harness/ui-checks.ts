// What every screen of the UI must get right, checked in the page's DOM (shared by the
// live, replay and synthetic browser tests):
// - the detail view shows only the panels and chart series of the selected row's kind;
// - every chart has a legend with one label per series, and its y-axis labels fit in
//   the axis uPlot reserved (measured here with the page's canvas, in the axis font);
// - the OOM card counts the OOM kills the Events panel lists at the same time.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

export type RowKind = 'vm-kvm' | 'vm-tcg' | 'process';

/** Series labels that must not appear for a row kind (docs/glossary.md names). */
const FOREIGN_SERIES: Record<RowKind, string[]> = {
  process: ['guest RAM', "QEMU's own memory", 'guest-RAM faults', 'NPT/EPT faults'],
  'vm-tcg': ['NPT/EPT faults', 'anon + shmem'],
  'vm-kvm': ['guest-RAM faults', 'anon + shmem'],
};

interface ChartLayout {
  id: string;
  legend: string[];
  yLabels: string[];
  yFont: string;
  yAxisPx: number;
  tickPx: number;
  gapPx: number;
}

/** Checks the detail view of the selected row; returns what it saw, for diagnostics. */
export async function checkDetailView(page: Page, kind: RowKind): Promise<{ charts: ChartLayout[]; panels: string[] }> {
  // uPlot draws on its own schedule after a selection or seek: wait (up to 5 s) until
  // every chart has drawn its axis for data, then check what it drew
  let seen = await detailLayout(page);
  for (let i = 0; i < 50 && (seen.rowKind !== kind || seen.charts.some((c) => c.yLabels.length < 2)); i++) {
    await new Promise((r) => setTimeout(r, 100));
    seen = await detailLayout(page);
  }
  assert.equal(seen.rowKind, kind, 'the detail view is of the selected row kind');
  for (const p of seen.panels) assert.ok(p.split(':')[1]!.split(' ').includes(kind), `panel ${p} is shown for a ${kind}`);
  assert.equal(seen.charts.length, 3, 'three charts');
  seen.charts.forEach((c, i) => {
    assert.ok(c.legend.length >= 1, `chart ${c.id} has a legend`);
    for (const foreign of FOREIGN_SERIES[kind]) assert.ok(!c.legend.includes(foreign), `chart ${c.id} of a ${kind} shows "${foreign}"`);
    assert.ok(c.yLabels.length >= 2, `chart ${c.id} has y-axis labels (${c.yLabels.join(', ')})`);
    const needPx = seen.widths[i]! + c.tickPx + c.gapPx;
    assert.ok(needPx <= c.yAxisPx, `chart ${c.id}: y labels need ${needPx.toFixed(1)} px, the axis has ${c.yAxisPx} (${c.yLabels.join(', ')})`);
  });
  return { charts: seen.charts, panels: seen.panels };
}

interface DetailLayout {
  rowKind: string;
  panels: string[];
  charts: ChartLayout[];
  widths: number[];
}

function detailLayout(page: Page): Promise<DetailLayout> {
  return page.evaluate(() => {
    const detail = document.getElementById('detail')!;
    // (no named helper functions in here: tsx would wrap them in a __name the page lacks)
    const panels = Array.from(detail.querySelectorAll<HTMLElement>('[data-kinds]')).filter((e) => e.offsetParent !== null).map((e) => `${e.id || e.firstElementChild?.id || '?'}:${e.dataset.kinds}`);
    const charts = (window as unknown as { faultlineTest: { charts(): ChartLayout[] } }).faultlineTest.charts();
    // the labels' widths as the page draws them, measured here, not by the app
    const ctx = document.createElement('canvas').getContext('2d')!;
    const widths = charts.map((c) => {
      ctx.font = c.yFont;
      return Math.max(0, ...c.yLabels.map((l) => ctx.measureText(l).width / (devicePixelRatio || 1)));
    });
    return { rowKind: detail.dataset.rowKind ?? '', panels, charts, widths };
  });
}

/** The OOM card's count and the Events panel's OOM kills agree. */
export async function checkCardsAgreeWithEvents(page: Page): Promise<number> {
  const { listedByCard, inPanel } = await page.evaluate(() => {
    const card = Array.from(document.querySelectorAll<HTMLElement>('#host-bar .card')).find((c) => c.querySelector('.card-label')?.textContent === 'OOM kills');
    return {
      listedByCard: Number(card?.dataset.listed ?? Number.NaN),
      inPanel: document.querySelectorAll('#timeline-events li[data-type="oom-kill"]').length,
    };
  });
  assert.equal(listedByCard, inPanel, `the OOM card counts ${listedByCard}, the Events panel lists ${inPanel}`);
  return inPanel;
}
