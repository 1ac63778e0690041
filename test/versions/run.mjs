#!/usr/bin/env node
// The versions lane (npm run test:versions, and part of npm test): the kernel tests
// that touch bpftrace, run again with the bpftrace of Debian 13 (0.23) and of sid
// (0.27), each from a debootstrap chroot (test/versions/bpftrace-chroot.sh; built once,
// cached in test/.assets/chroots). The default suite already ran them with the host's
// 0.17. Per version: mount the chroot, run the files with FAULTLINE_BPFTRACE set to its
// wrapper, keep `faultline doctor --json` for the "runs on" table, unmount (always).
//   node test/versions/run.mjs [trixie|sid ...]
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;
const OUT = join(ROOT, 'test/.tmp/versions');
const SUITES = process.argv.slice(2).length ? process.argv.slice(2) : ['trixie', 'sid'];
/** What the issue names: probes attach, fault truth, reclaim and OOM, doctor, live end to end with a guest;
 * and a full map (0.20+ read the keys limit from another variable, src/probe/bpftrace-version.ts). */
const FILES = [
  'test/kernel/probes-attach.test.ts',
  'test/kernel/faults-count.test.ts',
  'test/kernel/memcg-oom.test.ts',
  'test/kernel/supervisor.test.ts',
  'test/kernel/qemu-vm.test.ts',
  'test/kernel/map-keys.test.ts',
];

const chroot = (suite, action) => spawnSync(join(ROOT, 'test/versions/bpftrace-chroot.sh'), [suite, action], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

let failed = 0;
const summary = [];
// the host's own bpftrace (the default suite ran the tests with it): its doctor report only
{
  const dir = join(OUT, 'host');
  mkdirSync(dir, { recursive: true });
  const doctor = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'doctor', '--json'], { cwd: ROOT, encoding: 'utf8' });
  writeFileSync(join(dir, 'doctor.json'), doctor.stdout);
  if (doctor.status !== 0) {
    failed += 1;
    summary.push(`host    doctor FAILED (exit ${doctor.status})`);
  }
}
for (const suite of SUITES) {
  const started = Date.now();
  console.log(`\n== versions lane: bpftrace of Debian ${suite}`);
  const up = chroot(suite, 'up');
  const wrapper = up.stdout.trim().split('\n').at(-1);
  try {
    if (up.status !== 0 || !wrapper) throw new Error(`bpftrace-chroot.sh ${suite} up failed (${up.status})`);
    const version = spawnSync(wrapper, ['--version'], { encoding: 'utf8' }).stdout.trim();
    console.log(`   ${version} (${wrapper})`);
    const env = { ...process.env, FAULTLINE_BPFTRACE: wrapper };
    const dir = join(OUT, suite);
    mkdirSync(dir, { recursive: true });
    const doctor = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'doctor', '--json', '--bpftrace', wrapper], { cwd: ROOT, encoding: 'utf8', env });
    writeFileSync(join(dir, 'doctor.json'), doctor.stdout);
    const tests = spawnSync(process.execPath, [join(ROOT, 'test/run.mjs'), '--no-lanes', ...FILES], { cwd: ROOT, stdio: 'inherit', env });
    const ok = tests.status === 0 && doctor.status === 0;
    if (!ok) failed += 1;
    summary.push(`${suite.padEnd(7)} ${version.padEnd(16)} ${ok ? 'passed' : `FAILED (tests exit ${tests.status}, doctor exit ${doctor.status})`} in ${Math.round((Date.now() - started) / 1000)} s`);
  } catch (error) {
    failed += 1;
    summary.push(`${suite.padEnd(7)} FAILED: ${error.message}`);
  } finally {
    chroot(suite, 'down');
  }
}
console.log(`\nversions lane:\n${summary.map((l) => `  ${l}`).join('\n')}`);
process.exit(failed ? 1 : 0);
