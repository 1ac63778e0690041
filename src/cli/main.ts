// faultline's command line: picks the subcommand and prints errors. Wiring only.
import { FaultlineError } from '../model/errors.js';
import { runLive } from './live-command.js';
import { runDoctor } from './doctor-command.js';
import { runRecord } from './record-command.js';
import { runReport } from './report-command.js';
import { runExport } from './export-command.js';
import { runReplay } from './replay-command.js';
import { runLeaks } from './leaks-command.js';
import { runDiagnose } from './diagnose-command.js';
import { runRules } from './rules-command.js';
import { FAULTLINE_VERSION } from '../collect/live-session.js';

const HELP = `faultline ${FAULTLINE_VERSION} — memory tracer for KVM hosts

Usage: faultline <command> [options]

Commands:
  live      trace page faults, KVM MMU events and reclaim per VM, in a live web UI
  record    trace like live and write every snapshot to a .flt recording
            (--ring: keep only the minutes around incidents)
  replay    serve a recording in the same UI, with a time scrubber (no root needed;
            without a file: the sample recording)
  report    postmortem summary of a recording: text, JSON or one self-contained HTML
  export    a recording as Chrome/Perfetto trace JSON (--format chrome-json)
  leaks     where a process leaks: outstanding malloc'd bytes by call stack
            (uprobes on libc: costly while it runs)
  diagnose  is this host short of memory, because of what, and what to do
            (live for 10 s, or from a recording; exit 0 healthy, 4 warning,
            5 critical)
  rules     Prometheus alerting rules from the same thresholds as diagnose
  doctor    check, per probe group, whether the probes attach on this host and why not
  help      show this help (also: faultline <command> --help)

live, record, diagnose (live) and doctor need root and bpftrace (sudo apt-get install bpftrace).
Run 'faultline live --help' for the options.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'live':
      return runLive(rest);
    case 'doctor':
      return runDoctor(rest);
    case 'record':
      return runRecord(rest);
    case 'replay':
      return runReplay(rest);
    case 'report':
      return runReport(rest);
    case 'export':
      return runExport(rest);
    case 'leaks':
      return runLeaks(rest);
    case 'diagnose':
      return runDiagnose(rest);
    case 'rules':
      return runRules(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return 0;
    case '--version':
    case 'version':
      process.stdout.write(`${FAULTLINE_VERSION}\n`);
      return 0;
    default:
      throw new FaultlineError('E_USAGE', `unknown command "${command}"`, "run 'faultline help' for the list");
  }
}

function report(error: unknown, debug: boolean): number {
  if (error instanceof FaultlineError) {
    process.stderr.write(`faultline: error ${error.code}: ${error.message}\n`);
    if (error.hint) process.stderr.write(`  ${error.hint}\n`);
    for (const line of error.evidence) process.stderr.write(`  | ${line}\n`);
  } else if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`faultline: error E_USAGE: ${error.message}\n  see --help\n`);
  } else {
    process.stderr.write(`faultline: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (!debug) process.stderr.write('  run again with --debug for the stack trace\n');
  }
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return error instanceof FaultlineError && error.code === 'E_USAGE' ? 2 : 1;
}

const args = process.argv.slice(2);
const debug = args.includes('--debug');
main(args.filter((a) => a !== '--debug')).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = report(error, debug);
  },
);
