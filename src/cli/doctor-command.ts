// `faultline doctor`: for each probe group, does it attach here, and if not, why; for
// each tracepoint, whether this kernel has it; then whether the groups that attach run
// as one program in one bpftrace, as `faultline live` runs them (if not, live runs one
// bpftrace per group, and says why). Text for people, --json for scripts (the test
// lanes build the README's "runs on" table from it).
import { release } from 'node:os';
import { parseArgs } from 'node:util';
import { blockingProblem, checkHost, type HostChecks } from '../probe/preflight.js';
import { PROBE_GROUPS, probeArgs } from '../probe/probe-groups.js';
import { assembleGroup } from '../probe/assemble-group.js';
import { combinePrograms, ProgramClashError } from '../probe/combine-programs.js';
import type { AssembledProgram } from '../probe/probe-program.js';
import { BpftraceRunner } from '../probe/bpftrace-runner.js';
import { errorLine } from '../probe/bpftrace-stderr.js';
import { probeEnv } from '../probe/bpftrace-version.js';
import { FaultlineError } from '../model/errors.js';
import type { PointStatus } from '../model/snapshot.js';

const DOCTOR_HELP = `Usage: sudo faultline doctor [--bpftrace PATH] [--json]

Checks root, bpftrace and its version, tracefs, BTF and kernel lockdown, then for
each probe group assembles its program for this kernel (tracepoints the kernel
lacks are left out: each is listed with what it needs and what stands in for it)
and tries to attach it for real; then attaches the groups that attached as one
program, in one bpftrace, as \`faultline live\` runs them (when that fails, live
runs one bpftrace per group: more memory, same data). Exits 0 when every group
attaches, 1 otherwise; a group that attaches without some of its tracepoints still
counts as attached.

  --json   one JSON object: kernel, bpftrace, the checks, per group whether it
           attached and the state of each tracepoint, and whether the groups
           attach as one program (oneProcess)
`;

export interface DoctorGroup {
  group: string;
  attached: boolean;
  /** "attaches", or why not */
  verdict: string;
  points: PointStatus[];
}

export interface DoctorReport {
  kernel: string;
  bpftrace: string;
  bpftraceVersion: string;
  checks: { root: boolean; tracefs: string; btf: boolean; lockdown: string };
  blocking: string;
  groups: DoctorGroup[];
  /** The groups that attach, as one program in one bpftrace. */
  oneProcess: { groups: string[]; attached: boolean; verdict: string };
}

/** '' when the program attaches (and is stopped again), else what bpftrace said. */
async function tryAttach(programs: AssembledProgram[], checks: HostChecks): Promise<string> {
  const combined = combinePrograms(programs);
  const runner = new BpftraceRunner({
    groups: combined.groups, routes: combined.routes, programText: combined.text, args: probeArgs(1000, 10_000_000),
    bpftracePath: checks.bpftracePath!, env: probeEnv(checks.bpftraceVersion), attachTimeoutMs: 60_000, onBatch: () => {},
  });
  try {
    await runner.start();
    return '';
  } catch (error) {
    return error instanceof FaultlineError ? errorLine(error.evidence) ?? error.message : String(error);
  } finally {
    await runner.stop();
  }
}

async function tryGroup(group: string, checks: HostChecks, problem: FaultlineError | null): Promise<DoctorGroup & { program: AssembledProgram | null }> {
  // the program this kernel gets: blocks whose tracepoints are missing left out
  const program = checks.tracefsPath ? await assembleGroup(group, checks.tracefsPath) : null;
  const points = program?.points ?? [];
  if (problem) return { group, attached: false, verdict: `not tried: ${problem.message}`, points, program: null };
  if (!program?.text) return { group, attached: false, verdict: 'does not attach: none of its tracepoints are on this kernel', points, program: null };
  const error = await tryAttach([program], checks);
  return { group, attached: error === '', verdict: error === '' ? 'attaches' : `does not attach: ${error}`, points, program };
}

async function tryOneProcess(programs: AssembledProgram[], checks: HostChecks): Promise<DoctorReport['oneProcess']> {
  const groups = programs.map((p) => p.group);
  if (programs.length < 2) return { groups, attached: programs.length === 1, verdict: programs.length === 1 ? 'one group: its own bpftrace' : 'no group attaches' };
  try {
    const error = await tryAttach(programs, checks);
    return { groups, attached: error === '', verdict: error === '' ? `${groups.join(', ')} attach as one program` : `does not attach (${error}): live runs one bpftrace per group` };
  } catch (error) {
    if (!(error instanceof ProgramClashError)) throw error;
    return { groups, attached: false, verdict: `${error.message}: live runs one bpftrace per group` };
  }
}

export async function doctorReport(bpftrace?: string): Promise<DoctorReport> {
  const checks = await checkHost(bpftrace);
  const problem = blockingProblem(checks);
  const tried: Awaited<ReturnType<typeof tryGroup>>[] = [];
  for (const group of PROBE_GROUPS) tried.push(await tryGroup(group, checks, problem));
  const groups: DoctorGroup[] = tried.map(({ program: _program, ...g }) => g);
  const attached = tried.filter((g) => g.attached && g.program).map((g) => g.program!);
  return {
    kernel: release(),
    bpftrace: checks.bpftracePath ?? '',
    bpftraceVersion: checks.bpftraceVersion?.text ?? '',
    checks: { root: checks.isRoot, tracefs: checks.tracefsPath ?? '', btf: checks.hasBtf, lockdown: checks.lockdown },
    blocking: problem ? `${problem.message}: ${problem.hint}` : '',
    groups,
    oneProcess: await tryOneProcess(attached, checks),
  };
}

function renderText(r: DoctorReport): string[] {
  const mark = (ok: boolean): string => (ok ? 'ok  ' : 'FAIL');
  const lines = [
    'faultline doctor',
    `  ${mark(r.checks.root)} root            ${r.checks.root ? 'running as root' : 'not root: sudo faultline doctor'}`,
    `  ${mark(!!r.bpftrace)} bpftrace        ${r.bpftrace ? `${r.bpftrace} v${r.bpftraceVersion || '?'}` : 'not found: sudo apt-get install bpftrace'}`,
    `  ${mark(!!r.checks.tracefs)} tracefs         ${r.checks.tracefs || 'not mounted: sudo mount -t tracefs tracefs /sys/kernel/tracing'}`,
    `  ${mark(r.checks.btf)} BTF             ${r.checks.btf ? '/sys/kernel/btf/vmlinux' : 'missing (tracepoints still work; kfuncs do not)'}`,
    `  ${mark(r.checks.lockdown !== 'confidentiality')} lockdown        ${r.checks.lockdown || 'none'}`,
  ];
  for (const g of r.groups) {
    const attached = g.points.filter((p) => p.state === 'attached').length;
    lines.push(`  ${mark(g.attached)} group ${g.group.padEnd(9)} ${g.verdict}${g.points.length ? ` (${attached} of ${g.points.length} tracepoints)` : ''}`);
    for (const p of g.points.filter((p) => p.state !== 'attached' || p.reason)) {
      const label = p.state === 'attached' ? 'partly ' : p.state === 'missing' ? 'missing' : 'unused ';
      lines.push(`         ${label} ${p.point}: ${p.reason}${p.needs ? `; needs ${p.needs}` : ''}`);
      if (p.fallback && p.state !== 'attached') lines.push(`                 instead: ${p.fallback}`);
    }
  }
  if (r.oneProcess.groups.length > 1) {
    lines.push(`  ${r.oneProcess.attached ? 'ok  ' : 'warn'} one bpftrace    ${r.oneProcess.verdict}`);
  }
  if (r.blocking) lines.push('', `fix first: ${r.blocking}`);
  return lines;
}

export async function runDoctor(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      bpftrace: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(DOCTOR_HELP);
    return 0;
  }
  const report = await doctorReport(values.bpftrace);
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${renderText(report).join('\n')}\n`);
  return report.groups.every((g) => g.attached) ? 0 : 1;
}
