// POST /api/leaks: deep leak mode from the UI (`faultline live --allow-leaks`).
// Body {"pid": N, "durationS": D}. The pid must be a row (VM or host process) of the
// latest snapshot, so the token opens uprobes on what faultline already shows and
// nothing else; D is 5..60 s; one trace at a time. Answers the report as
// `faultline leaks --json` prints it. The trace itself is injected (tests use a fake).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultlineError } from '../model/errors.js';
import type { Snapshot } from '../model/snapshot.js';
import { buildLeakReport, type LeakReport, type LeakSite } from '../leaks/leak-report.js';
import { LEAKS_TABLE_LIMIT, traceLeaks } from '../leaks/run-leaks.js';
import { frameText } from '../leaks/stack.js';
import { blockingProblem, checkHost } from '../probe/preflight.js';
import type { PostHandler } from './ui-server.js';

export const MIN_DEEP_S = 5;
export const MAX_DEEP_S = 60;
/** As `faultline leaks` defaults. */
export const DEEP_SAMPLE = 16;
export const DEEP_TOP = 10;

/** The JSON `faultline leaks --json` prints: the report, each site with its stack as text. */
export type LeakReportJson = Omit<LeakReport, 'sites'> & { sites: (LeakSite & { stack: string[] })[] };

export function leakReportJson(report: LeakReport): LeakReportJson {
  return { ...report, sites: report.sites.map((s) => ({ ...s, stack: s.frames.map(frameText) })) };
}

/** Traces `pid` for `durationMs`; `signal` ends it early. Throws FaultlineError on failure. */
export type DeepTrace = (pid: number, durationMs: number, signal: AbortSignal) => Promise<LeakReportJson>;

export interface LeaksRouteOptions {
  /** The latest snapshot the live source holds. */
  latest(): Snapshot | null;
  trace: DeepTrace;
  log?: (line: string) => void;
}

export interface LeaksRoute {
  handle: PostHandler;
  /** A trace is running. */
  readonly busy: boolean;
  /** Ends a running trace (server shutdown). */
  abort(): void;
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(`${JSON.stringify(body)}\n`);
}

export function leaksRoute(o: LeaksRouteOptions): LeaksRoute {
  let running: AbortController | null = null;
  const handle = (_req: IncomingMessage, res: ServerResponse, body: unknown): void => {
    const b = (typeof body === 'object' && body !== null ? body : {}) as { pid?: unknown; durationS?: unknown };
    const pid = b.pid;
    if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return answer(res, 400, { error: 'pid must be a positive integer' });
    const row = o.latest()?.vms.find((v) => v.pid === pid && (v.kind === 'vm' || v.kind === 'process'));
    if (!row) return answer(res, 404, { error: `pid ${pid} is not a VM or process in the latest snapshot` });
    const d = b.durationS;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < MIN_DEEP_S || d > MAX_DEEP_S) {
      return answer(res, 400, { error: `durationS must be a whole number of seconds from ${MIN_DEEP_S} to ${MAX_DEEP_S}` });
    }
    if (running) return answer(res, 409, { error: 'a deep leak trace is already running; try again when it ends' });
    const aborter = new AbortController();
    running = aborter;
    // the client went away: end the trace early (nobody is waiting for the report)
    res.on('close', () => aborter.abort());
    o.log?.(`faultline: deep leak trace of pid ${pid} (${row.name || row.comm}) for ${d} s, asked for by the UI`);
    o.trace(pid, d * 1000, aborter.signal).then(
      (report) => answer(res, 200, report),
      (error: unknown) => {
        const message = error instanceof FaultlineError ? error.message : 'deep leak trace failed';
        if (!(error instanceof FaultlineError)) o.log?.(`faultline: deep leak trace failed: ${String(error)}`);
        answer(res, 500, { error: message });
      },
    ).finally(() => {
      if (running === aborter) running = null;
    });
  };
  return {
    handle,
    get busy() {
      return running !== null;
    },
    abort: () => running?.abort(),
  };
}

/** The real trace: what `faultline leaks --json --pid PID --duration D` does (sample 16, top 10). */
export function bpftraceDeepTrace(bpftrace: string | undefined, log?: (line: string) => void): DeepTrace {
  return async (pid, durationMs, signal) => {
    const checks = await checkHost(bpftrace);
    const problem = blockingProblem(checks);
    if (problem) throw problem;
    if (!checks.bpftraceVersion || (checks.bpftraceVersion.major === 0 && checks.bpftraceVersion.minor < 20)) {
      log?.(`faultline: bpftrace ${checks.bpftraceVersion?.text ?? '?'} attaches uprobes to every process using glibc, not only pid ${pid}: all of them pay the traps while this runs`);
    }
    const run = await traceLeaks({
      pid, durationMs, sample: DEEP_SAMPLE, bpftracePath: checks.bpftracePath!, bpftraceVersion: checks.bpftraceVersion, signal, log,
    });
    const report = buildLeakReport(run.output.allocations, {
      pid, comm: run.comm, durationMs: run.tracedMs, sample: DEEP_SAMPLE, minAgeMs: Math.min(10_000, durationMs / 3), top: DEEP_TOP,
      endNs: run.output.endNs, tableLimit: LEAKS_TABLE_LIMIT, lostEvents: run.output.lostEvents,
    });
    return leakReportJson(report);
  };
}
