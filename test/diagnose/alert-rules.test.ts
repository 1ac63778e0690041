// The Prometheus alerting rules: the shipped file is what `faultline rules` makes
// from the default thresholds, promtool accepts it and its boundary tests
// (test/prometheus/rules.test.yml) pass, and the same tests fail for rules made from
// other thresholds (so they test the thresholds, not just the syntax).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertRules, alertRulesYaml, DIAGNOSIS_ONLY } from '../../src/diagnose/alert-rules.js';
import { DEFAULT_THRESHOLDS, thresholdsFrom } from '../../src/diagnose/thresholds.js';
import { cliCommand, REPO_ROOT } from '../harness/faultline-live.js';

const SHIPPED = join(REPO_ROOT, 'docs/prometheus/faultline-rules.yml');
const SUITE = join(REPO_ROOT, 'test/prometheus/rules.test.yml');
const promtool = spawnSync('promtool', ['--version']).status === 0;
// CI installs prometheus (test/setup-host.sh): there a missing promtool is a failure
const skip = promtool ? false : process.env.CI ? false : 'promtool missing (apt-get install prometheus)';

function promtoolTest(rulesYaml: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-rules-'));
  try {
    // the suite names ../../docs/prometheus/faultline-rules.yml: the same layout
    mkdirSync(join(dir, 'docs/prometheus'), { recursive: true });
    mkdirSync(join(dir, 'test/prometheus'), { recursive: true });
    writeFileSync(join(dir, 'docs/prometheus/faultline-rules.yml'), rulesYaml);
    copyFileSync(SUITE, join(dir, 'test/prometheus/rules.test.yml'));
    const r = spawnSync('promtool', ['test', 'rules', join(dir, 'test/prometheus/rules.test.yml')], { encoding: 'utf8' });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the shipped rules are `faultline rules` with the default thresholds', () => {
  assert.equal(readFileSync(SHIPPED, 'utf8'), alertRulesYaml(DEFAULT_THRESHOLDS), 'regenerate: npx tsx src/cli/main.ts rules > docs/prometheus/faultline-rules.yml');
  const [command, args] = cliCommand(['rules']);
  const r = spawnSync(command, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(SHIPPED, 'utf8'));
});

test('promtool: the rules check, and pass their boundary tests', { skip }, () => {
  const check = spawnSync('promtool', ['check', 'rules', SHIPPED], { encoding: 'utf8' });
  assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
  assert.match(check.stdout, /SUCCESS: 16 rules found/);
  const r = promtoolTest(readFileSync(SHIPPED, 'utf8'));
  assert.equal(r.status, 0, r.output);
});

test('promtool: rules from other thresholds fail the same tests (each boundary is tested)', { skip }, () => {
  for (const changed of [{ hostAvailableWarningPct: 19 }, { hostUsedCriticalPct: 86 }, { pagingWarningPagesPerSec: 11 }, { psiSomeWarningPct: 11 }, { overcommitWarningPct: 102 }, { kswapdBusyWarningPct: 52 }, { reclaimStallCriticalMsPerSec: 102 }, { guestAvailableWarningPct: 11 }, { guestSwapWarningPagesPerSec: 11 }]) {
    const r = promtoolTest(alertRulesYaml(thresholdsFrom(changed, 'test')));
    assert.notEqual(r.status, 0, `rules with ${JSON.stringify(changed)} passed the tests:\n${r.output}`);
  }
});

test('faultline rules: --thresholds and the durations reach the rules; bad values are errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-rules-cli-'));
  try {
    writeFileSync(join(dir, 't.json'), '{"hostAvailableWarningPct": 12.5}');
    const [command, args] = cliCommand(['rules', '--thresholds', join(dir, 't.json'), '--warning-for', '5m']);
    const r = spawnSync(command, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /expr: "100 \* faultline_host_memory_available_bytes \/ faultline_host_memory_total_bytes < 12\.5"\n        for: 5m\n/);
    const [c2, a2] = cliCommand(['rules', '--critical-for', 'soon']);
    const bad = spawnSync(c2, a2, { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /E_BAD_VALUE: --critical-for "soon" is not a Prometheus duration/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every cause the diagnosis can give has an alerting rule (its own, or the diagnosis-only pair)', () => {
  const causes = new Set<string>();
  for (const file of readdirSync(join(REPO_ROOT, 'src/diagnose')).filter((f) => f.endsWith('.ts'))) {
    for (const m of readFileSync(join(REPO_ROOT, 'src/diagnose', file), 'utf8').matchAll(/cause: '([a-z-]+)'/g)) causes.add(m[1]!);
  }
  const rules = alertRules(DEFAULT_THRESHOLDS);
  // the causes that have raw series of their own, and the rules that judge them
  const own: Record<string, string> = {
    'memory-low': 'FaultlineHostMemoryLow', paging: 'FaultlineHostPaging', 'kswapd-busy': 'FaultlineKswapdBusy', pressure: 'FaultlineMemoryPressure',
    overcommit: 'FaultlineOvercommit', 'oom-kill': 'FaultlineOomKill', 'reclaim-stall': 'FaultlineReclaimStalls', 'cgroup-near-limit': 'FaultlineCgroupNearLimit', leak: 'FaultlineLeak',
    'guest-memory-low': 'FaultlineGuestMemoryLow',
  };
  for (const cause of causes) {
    const covered = own[cause] ? rules.some((r) => r.alert === own[cause]) : (DIAGNOSIS_ONLY as readonly string[]).includes(cause);
    assert.ok(covered, `cause ${cause} has no alerting rule: add it to DIAGNOSIS_ONLY (src/diagnose/alert-rules.ts) or give it a rule`);
  }
  assert.ok(causes.size >= 16, `${causes.size} causes found in src/diagnose`);
  for (const cause of DIAGNOSIS_ONLY) assert.ok(causes.has(cause), `${cause} is in DIAGNOSIS_ONLY but no rule gives it`);
});
