// `faultline leaks`: the deep leak mode. Traces one process's malloc/free for a
// while (probes/leaks.bt) and reports the call stacks holding the most outstanding
// bytes, as text, JSON, or a pprof profile. Wiring only: src/leaks/ does the work.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FaultlineError } from '../model/errors.js';
import { blockingProblem, checkHost } from '../probe/preflight.js';
import { buildLeakReport } from '../leaks/leak-report.js';
import { renderLeakReport } from '../leaks/render-leaks.js';
import { pprofGzip } from '../leaks/pprof.js';
import { nameJitFrames, parsePerfMap } from '../leaks/perf-map.js';
import { stackNotes } from '../leaks/stack-notes.js';
import { LEAKS_TABLE_LIMIT, traceLeaks } from '../leaks/run-leaks.js';
import { leakReportJson } from '../serve/leaks-route.js';
import { parseDurationMs, parsePid } from './options.js';

export const LEAKS_HELP = `Usage: sudo faultline leaks --pid PID [options]

Finds where a process leaks: uprobes on its glibc allocator (malloc, calloc,
realloc, memalign, posix_memalign, free, and mmap/munmap from outside libc) keep
each sampled allocation in the kernel with the user stack that made it; at the end
the call stacks holding the most outstanding bytes, older than --min-age, are
reported.

Options:
  --pid PID         the process to trace (required)
  --duration DUR    how long to trace (default 60s); Ctrl-C stops early and reports
  --sample N        keep 1 in N allocations under 64 KiB, scaled by N in the report;
                    bigger ones are always kept (default 16; 1 keeps every one)
  --min-age DUR     count allocations at least this old (default a third of
                    --duration, at most 10s): young ones are usually about to be freed
  --top N           call sites to show (default 10)
  --json            print the report as JSON on stdout
  --pprof FILE      also write a gzip'ed pprof profile (go tool pprof FILE)
  --bpftrace PATH   the bpftrace binary (default: bpftrace on PATH)

Cost: every malloc and free of the process enters the kernel (uprobe traps):
18-56 us per malloc/free pair on a 2-core VM, against 6 ns untraced. With
bpftrace older than 0.20 the uprobes fire in EVERY process on the host that uses
glibc, at the same cost. Keep --duration short. bcc's memleak-bpfcc and faultline
leaks cannot probe the same libc at once (src/leaks/README.md).
`;

export async function runLeaks(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      pid: { type: 'string' },
      duration: { type: 'string', default: '60s' },
      sample: { type: 'string', default: '16' },
      'min-age': { type: 'string' },
      top: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
      pprof: { type: 'string' },
      bpftrace: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(LEAKS_HELP);
    return 0;
  }
  if (!values.pid) throw new FaultlineError('E_USAGE', 'faultline leaks needs --pid PID', 'e.g. sudo faultline leaks --pid 1234 --duration 30s');
  const pid = parsePid(values.pid);
  const durationMs = parseDurationMs('--duration', values.duration);
  const sample = Number(values.sample);
  if (!Number.isInteger(sample) || sample < 1 || sample > 1_000_000) {
    throw new FaultlineError('E_BAD_VALUE', `--sample "${values.sample}" is not a whole number from 1 up`, 'e.g. --sample 16 (1 keeps every allocation)');
  }
  const top = Number(values.top);
  if (!Number.isInteger(top) || top < 1 || top > 1000) throw new FaultlineError('E_BAD_VALUE', `--top "${values.top}" is not a count`, 'e.g. --top 10');
  const minAgeMs = values['min-age'] ? parseDurationMs('--min-age', values['min-age']) : Math.min(10_000, durationMs / 3);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);

  const checks = await checkHost(values.bpftrace);
  const problem = blockingProblem(checks);
  if (problem) throw problem;
  if (!checks.bpftraceVersion || (checks.bpftraceVersion.major === 0 && checks.bpftraceVersion.minor < 20)) {
    log(`faultline: bpftrace ${checks.bpftraceVersion?.text ?? '?'} attaches uprobes to every process using glibc, not only pid ${pid}: all of them pay the traps while this runs`);
  }
  const aborter = new AbortController();
  const onSignal = (): void => aborter.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const run = await traceLeaks({
      pid, durationMs, sample, bpftracePath: checks.bpftracePath!, bpftraceVersion: checks.bpftraceVersion, signal: aborter.signal, log,
    });
    const perfMap = parsePerfMap(readFileOrEmpty(`/proc/${pid}/root/tmp/perf-${pid}.map`) || readFileOrEmpty(`/tmp/perf-${pid}.map`));
    const allocations = run.output.allocations.map((a) => ({ ...a, frames: nameJitFrames(a.frames, perfMap) }));
    const report = buildLeakReport(allocations, {
      pid, comm: run.comm, durationMs: run.tracedMs, sample, minAgeMs, top,
      endNs: run.output.endNs, tableLimit: LEAKS_TABLE_LIMIT, lostEvents: run.output.lostEvents,
    });
    report.notes = stackNotes({ pid, sites: report.sites, stacksCut: run.stacksCut, perfMap: perfMap.length > 0 });
    if (values.json) for (const note of report.notes) log(`faultline: ${note}`);
    if (values.pprof) {
      writeFileSync(values.pprof, pprofGzip(report, run.mappings, run.startedMs));
      log(`faultline: wrote ${values.pprof} (go tool pprof -top ${values.pprof})`);
    }
    if (values.json) {
      process.stdout.write(`${JSON.stringify(leakReportJson(report))}\n`);
    } else {
      process.stdout.write(renderLeakReport(report));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}

function readFileOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
