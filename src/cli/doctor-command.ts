// `faultline doctor`: for each probe group, does it attach here, and if not, why.
import { parseArgs } from 'node:util';
import { blockingProblem, checkHost } from '../probe/preflight.js';
import { PROBE_GROUPS, probeArgs } from '../probe/probe-groups.js';
import { assembleGroup } from '../probe/assemble-group.js';
import { BpftraceRunner } from '../probe/bpftrace-runner.js';
import { probeEnv } from '../probe/bpftrace-version.js';
import { FaultlineError } from '../model/errors.js';

const DOCTOR_HELP = `Usage: sudo faultline doctor [--bpftrace PATH]

Checks root, bpftrace and its version, tracefs, BTF and kernel lockdown, then for
each probe group assembles its program for this kernel (tracepoints the kernel
lacks are left out: each is listed with what it needs and what stands in for it)
and tries to attach it for real. Exits 0 when every group attaches, 1 otherwise;
a group that attaches without some of its tracepoints still counts as attached.
`;

export async function runDoctor(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { bpftrace: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    process.stdout.write(DOCTOR_HELP);
    return 0;
  }
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const checks = await checkHost(values.bpftrace);
  const mark = (ok: boolean): string => (ok ? 'ok  ' : 'FAIL');
  out('faultline doctor');
  out(`  ${mark(checks.isRoot)} root            ${checks.isRoot ? 'running as root' : 'not root: sudo faultline doctor'}`);
  out(`  ${mark(!!checks.bpftracePath)} bpftrace        ${checks.bpftracePath ? `${checks.bpftracePath} v${checks.bpftraceVersion?.text ?? '?'}` : 'not found: sudo apt-get install bpftrace'}`);
  out(`  ${mark(!!checks.tracefsPath)} tracefs         ${checks.tracefsPath ?? 'not mounted: sudo mount -t tracefs tracefs /sys/kernel/tracing'}`);
  out(`  ${mark(checks.hasBtf)} BTF             ${checks.hasBtf ? '/sys/kernel/btf/vmlinux' : 'missing (tracepoints still work; kfuncs do not)'}`);
  out(`  ${mark(checks.lockdown !== 'confidentiality')} lockdown        ${checks.lockdown || 'none'}`);
  const problem = blockingProblem(checks);
  let failures = 0;
  for (const group of PROBE_GROUPS) {
    // the program this kernel gets: blocks whose tracepoints are missing left out
    const program = checks.tracefsPath ? await assembleGroup(group, checks.tracefsPath) : null;
    let verdict: string;
    if (problem) verdict = `not tried: ${problem.message}`;
    else if (!program?.text) verdict = 'does not attach: none of its tracepoints are on this kernel';
    else {
      const runner = new BpftraceRunner({
        group, programText: program.text, args: probeArgs(1000, 10_000_000), bpftracePath: checks.bpftracePath!,
        env: probeEnv(checks.bpftraceVersion), attachTimeoutMs: 60_000, onBatch: () => {},
      });
      try {
        await runner.start();
        verdict = 'attaches';
      } catch (error) {
        verdict = error instanceof FaultlineError ? `does not attach: ${error.evidence.at(-1) ?? error.message}` : String(error);
      } finally {
        await runner.stop();
      }
    }
    const ok = verdict === 'attaches';
    if (!ok) failures += 1;
    const points = program?.points ?? [];
    const attached = points.filter((p) => p.state === 'attached').length;
    out(`  ${mark(ok)} group ${group.padEnd(9)} ${verdict}${points.length ? ` (${attached} of ${points.length} tracepoints)` : ''}`);
    for (const p of points.filter((p) => p.state !== 'attached' || p.reason)) {
      const label = p.state === 'attached' ? 'partly ' : p.state === 'missing' ? 'missing' : 'unused ';
      out(`         ${label} ${p.point}: ${p.reason}${p.needs ? `; needs ${p.needs}` : ''}`);
      if (p.fallback && p.state !== 'attached') out(`                 instead: ${p.fallback}`);
    }
  }
  if (problem) out(`\nfix first: ${problem.hint}`);
  return failures === 0 ? 0 : 1;
}
