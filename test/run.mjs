#!/usr/bin/env node
// Runs the test suite with node's own test runner (Node 20 does not expand globs).
//   node test/run.mjs           every test: unit, then kernel (root, bpftrace, QEMU), then
//                               browser; then the two lanes: versions (the kernel tests
//                               with bpftrace 0.23 and 0.27, test/versions/run.mjs) and lab
//                               (Debian's 6.1 and 6.12 booted with real KVM inside,
//                               test/lab/run.mjs); then the README's "Runs on" table is
//                               checked against what the lanes ran (test/runs-on.mjs);
//                               last the scale benchmark with 30 real QEMUs prints its table
//   node test/run.mjs --unit    unit tests only (no root needed)
//   node test/run.mjs --no-lanes  the default suite without the two lanes
//   node test/run.mjs FILE...   just those files
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const lanes = !unitOnly && !args.includes('--no-lanes');
const explicit = args.filter((a) => !a.startsWith('--'));

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    // lab/ and versions/ are lanes with runners of their own (below)
    if (name.startsWith('.') || name === 'fixtures' || name === 'harness' || name === 'lab' || name === 'versions') continue;
    if (statSync(path).isDirectory()) out.push(...find(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const missing = explicit.filter((f) => !existsSync(f));
if (missing.length) {
  console.error(`test/run.mjs: no such test file: ${missing.join(', ')}`);
  process.exit(2);
}
let files = explicit.length ? explicit : find(join(root, 'test'));
const isKernel = (f) => /\/test\/(kernel|faults|browser)\//.test(f);
if (unitOnly) files = files.filter((f) => !isKernel(f));
// unit tests first: they are quick and point at the cause when something breaks
files.sort((a, b) => Number(isKernel(a)) - Number(isKernel(b)) || a.localeCompare(b));
console.log(`faultline tests: ${files.length} files`);
for (const f of files) console.log(`  ${relative(root, f)}`);

mkdirSync(join(root, 'test/.tmp'), { recursive: true });
const tapPath = join(root, `test/.tmp/run-${process.pid}.tap`);
const result = spawnSync(
  process.execPath,
  [
    '--import', 'tsx', '--test', '--test-concurrency=1',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapPath}`,
    ...files,
  ],
  { stdio: 'inherit', cwd: root },
);
// the plain closing line, from the TAP copy of the run
const tap = readFileSync(tapPath, 'utf8');
rmSync(tapPath, { force: true });
const count = (name) => Number(tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
const failures = failureRecap(tap);
// a test past its timeout is "cancelled", not "failed", in node:test's counts: said apart
const cancelled = count('cancelled');
console.log(`\ntests: ${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped${cancelled ? `, ${cancelled} cancelled (timed out)` : ''}`);
let status = result.status ?? 1;
if (lanes && explicit.length === 0) {
  // the scale benchmark, small (bench/scale.ts): its table shows this tree's cost per
  // VM next to the figures in docs/benchmarks.md; it fails only when it cannot run or a
  // VM's guest RAM is wrong in /metrics
  const scale = ['--import', 'tsx', 'bench/run.ts', 'scale', '--vms', '30', '--seconds', '20', '--warmup', '15', '--runs', '1', '--clients', '20'];
  for (const [lane, argv] of [['test/versions/run.mjs'], ['test/lab/run.mjs'], ['test/runs-on.mjs'], ['bench scale (30 VMs)', scale]]) {
    const started = Date.now();
    const r = spawnSync(process.execPath, argv ?? [join(root, lane)], { stdio: 'inherit', cwd: root });
    console.log(`${lane}: ${r.status === 0 ? 'passed' : 'FAILED'} (${Math.round((Date.now() - started) / 1000)} s)`);
    if (r.status !== 0) status = status || 1;
  }
}
// the lanes print a lot after the main suite: its failures once more, with their
// messages, last (CI shows a run's end)
if (failures) console.log(`\nmain suite: ${count('fail')} failed (repeated from above)\n${failures}`);
process.exit(status);

/** Each failed test of a TAP report with its YAML block (the error, expected and
 * actual, where), its stack cut to a few lines; '' when none failed. */
function failureRecap(tapText) {
  const out = [];
  const lines = tapText.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const failed = /^(\s*)not ok \d+ - (.*)$/.exec(lines[i]);
    if (!failed) continue;
    out.push(`not ok - ${failed[2]}`);
    let stackLines = -1;
    let j = i + 1;
    for (; j < lines.length && lines[j].startsWith(`${failed[1]}  `); j++) {
      const line = lines[j].slice(failed[1].length);
      if (line === '  ...') break;
      if (/^  stack: /.test(line)) stackLines = 0;
      else if (stackLines >= 0 && !/^    /.test(line)) stackLines = -1;
      if (stackLines >= 0 && stackLines++ > 1) continue;
      if (!/^  duration_ms: /.test(line)) out.push(line);
    }
    // the test's own diagnostics (t.diagnostic) follow its block
    for (j += 1; j < lines.length && lines[j].startsWith(`${failed[1]}# `); j++) {
      const text = lines[j].slice(failed[1].length + 2);
      if (/^Subtest: |^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) \d/.test(text)) break;
      out.push(`  diagnostic: ${text}`);
    }
  }
  return out.join('\n');
}
