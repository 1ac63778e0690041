// When each cause of the diagnosis started and ended, over a recording's snapshots
// (each carries its diagnosis, src/diagnose/diagnosis-window.ts), and the last
// diagnosis: the report's "Diagnosis" section. Pure.
import type { Diagnosis, Severity, Snapshot } from '../model/snapshot.js';

export interface DiagnosisSpan {
  cause: string;
  subject: string;
  subjectId: string;
  /** The worst severity it had while it lasted. */
  severity: Severity;
  /** Its title when last seen. */
  title: string;
  fromMs: number;
  /** The last snapshot that had it. */
  toMs: number;
  /** Still a cause in the last snapshot. */
  open: boolean;
}

export interface DiagnosisSummary {
  /** The last snapshot's diagnosis; null when the recording has none (made before
   * faultline diagnosed). */
  final: Diagnosis | null;
  /** Spans in the order they started: the first MAX_SPANS / 2 and the latest. */
  spans: DiagnosisSpan[];
  spansDropped: number;
  /** Snapshots with a status other than healthy. */
  unhealthySnapshots: number;
}

const MAX_SPANS = 200;

export class DiagnosisTimeline {
  private final: Diagnosis | null = null;
  private open = new Map<string, DiagnosisSpan>();
  private closed: DiagnosisSpan[] = [];
  private dropped = 0;
  private unhealthy = 0;

  add(s: Snapshot): void {
    const d = s.diagnosis;
    if (!d || !d.status) return;
    this.final = d;
    if (d.status !== 'healthy') this.unhealthy += 1;
    const seen = new Set<string>();
    for (const c of d.causes) {
      const key = `${c.cause}\u0000${c.subjectId}\u0000${c.subject}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const span = this.open.get(key);
      if (span) {
        span.toMs = s.timeMs;
        span.title = c.title;
        if (c.severity === 'critical') span.severity = 'critical';
      } else {
        this.open.set(key, { cause: c.cause, subject: c.subject, subjectId: c.subjectId, severity: c.severity, title: c.title, fromMs: s.timeMs, toMs: s.timeMs, open: true });
      }
    }
    for (const [key, span] of this.open) {
      if (seen.has(key)) continue;
      this.open.delete(key);
      this.close({ ...span, open: false });
    }
  }

  finish(): DiagnosisSummary {
    const spans = [...this.closed, ...this.open.values()].sort((a, b) => a.fromMs - b.fromMs);
    return { final: this.final, spans, spansDropped: this.dropped, unhealthySnapshots: this.unhealthy };
  }

  private close(span: DiagnosisSpan): void {
    this.closed.push(span);
    // keep the first half and a window of the latest
    if (this.closed.length > MAX_SPANS) {
      this.closed.splice(MAX_SPANS / 2, 1);
      this.dropped += 1;
    }
  }
}
