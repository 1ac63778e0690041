// The diagnosis each snapshot carries: the playbook over the snapshots of the last
// window (10 s by default), this one included. Holds those snapshots; the judging is
// diagnose.ts.
import type { Diagnosis, Snapshot } from '../model/snapshot.js';
import { diagnose } from './diagnose.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from './thresholds.js';

export const DIAGNOSIS_WINDOW_MS = 10_000;

export class DiagnosisWindow {
  private window: Snapshot[] = [];

  constructor(
    private readonly thresholds: Thresholds = DEFAULT_THRESHOLDS,
    private readonly windowMs = DIAGNOSIS_WINDOW_MS,
  ) {}

  add(snapshot: Snapshot): Diagnosis {
    this.window.push(snapshot);
    while (this.window.length > 1 && this.window[0]!.timeMs <= snapshot.timeMs - this.windowMs) this.window.shift();
    return diagnose(this.window, this.thresholds);
  }
}
