#!/usr/bin/env node
// The README's "Runs on" table, made from what the lanes ran (never from memory):
// the lab's L1 kernels (test/.tmp/lab/SUITE: probes.json, results.json, passed) and
// this machine's kernel with each bpftrace (test/.tmp/versions/SUITE/doctor.json,
// test/.tmp/versions/host/doctor.json). Compares it with the table between the
// README's runs-on markers and fails when they differ; --write puts it there.
//   node test/runs-on.mjs [--write]
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('../', import.meta.url).pathname;
const README = join(ROOT, 'README.md');
const BEGIN = '<!-- runs-on:begin (made by test/runs-on.mjs from the last full test run) -->';
const END = '<!-- runs-on:end -->';
const DEBIAN = { '6.1': 'Debian 12 (bookworm), Proxmox 8 base', '6.12': 'Debian 13 (trixie)' };

const majorMinor = (release) => release.match(/^(\d+\.\d+)/)?.[1] ?? release;
const version = (text) => text.match(/v?(\d+\.\d+\.\d+)/)?.[1] ?? text;
const read = (path) => JSON.parse(readFileSync(path, 'utf8'));

function missingText(groups) {
  const missing = groups.flatMap((g) => g.points.filter((p) => p.state === 'missing').map((p) => `${p.point}${p.fallback ? ` (instead: ${p.fallback.replace(/\s*\(.*\)$/, '')})` : ''}`));
  return missing.length ? missing.join('; ') : 'none';
}

function groupsText(groups) {
  return groups.map((g) => `${g.group} ${g.points.filter((p) => p.state === 'attached').length}/${g.points.length}`).join(', ');
}

export function runsOnRows() {
  const rows = [];
  const lab = join(ROOT, 'test/.tmp/lab');
  for (const suite of existsSync(lab) ? readdirSync(lab).sort() : []) {
    const dir = join(lab, suite);
    if (!existsSync(join(dir, 'probes.json')) || !existsSync(join(dir, 'results.json'))) continue;
    const kernel = majorMinor(read(join(dir, 'results.json')).kernel);
    const groups = read(join(dir, 'probes.json'));
    const passed = existsSync(join(dir, 'passed'));
    rows.push([`${kernel} (${DEBIAN[kernel] ?? suite})`, version(readFileSync(join(dir, 'bpftrace-version.txt'), 'utf8')), 'lab: L1 under TCG with nested SVM, guests under real KVM',
      groupsText(groups), missingText(groups),
      passed ? 'NPT faults, named exits, 4K/2M/1G levels, async page faults, MMU notifiers, memcg reclaim and OOM: equal to independent counts' : 'FAILED (see the lab lane)']);
  }
  const versions = join(ROOT, 'test/.tmp/versions');
  const reports = (existsSync(versions) ? readdirSync(versions).sort() : []).map((s) => join(versions, s, 'doctor.json')).filter(existsSync).map(read);
  for (const report of reports.sort((a, b) => a.bpftraceVersion.localeCompare(b.bpftraceVersion, 'en', { numeric: true }))) {
    rows.push([`${majorMinor(report.kernel)} (this CI machine)`, report.bpftraceVersion, 'CI host, no /dev/kvm',
      groupsText(report.groups), missingText(report.groups), 'KVM tracepoints attach, no KVM events (no /dev/kvm); host faults, reclaim, OOM tested']);
  }
  return rows;
}

export function runsOnTable(rows) {
  return [
    '| kernel | bpftrace | where | groups (tracepoints attached) | missing here | KVM signals |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = runsOnRows();
  if (rows.length === 0) {
    console.log('runs-on: no lane results in test/.tmp (run npm test or the lanes first)');
    process.exit(1);
  }
  const table = runsOnTable(rows);
  const readme = readFileSync(README, 'utf8');
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no runs-on markers (${BEGIN} ... ${END})`);
  const current = readme.slice(start + BEGIN.length, end).trim();
  if (process.argv.includes('--write')) {
    writeFileSync(README, `${readme.slice(0, start + BEGIN.length)}\n${table}\n${readme.slice(end)}`);
    console.log('runs-on: README.md updated');
  } else if (current !== table) {
    console.log(`runs-on: README.md's table is not what the lanes ran. What ran:\n${table}\n\nREADME has:\n${current}\n\n(update with: node test/runs-on.mjs --write)`);
    process.exit(1);
  } else {
    console.log(`runs-on: README.md's table matches what ran:\n${table}`);
  }
}
