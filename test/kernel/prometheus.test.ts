// A real Prometheus (Debian's `prometheus`) scrapes faultline's /metrics on loopback
// every second, and a VM's series come back through Prometheus's HTTP API. The VM is
// a real QEMU started the way libvirt starts one (left paused: it needs no CPU, and
// its identity and RSS are there at once); faultline runs for real (`faultline live
// --json --listen 127.0.0.1:0`, real bpftrace). Prometheus scrapes the live server's
// own /metrics; while that route is not mounted yet (404), the test serves the
// snapshots faultline prints through a MetricsState and metricsHandler on a node:http
// server instead. Starts QEMU: run it under `flock /tmp/faultline-heavy.lock`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { alertRulesYaml } from '../../src/diagnose/alert-rules.js';
import { thresholdsFrom } from '../../src/diagnose/thresholds.js';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { kernelGate, kernelTestsRequired } from '../harness/kernel-gate.js';
import { startGuest, type Guest } from '../harness/qemu-guest.js';
import { REPO_ROOT, startLive, type LiveRun } from '../harness/faultline-live.js';
import { MetricsState, metricsHandler } from '../../src/serve/metrics.js';

function prometheusGate(): false | string {
  const kernel = kernelGate({ qemu: true });
  if (kernel) return kernel;
  try {
    execFileSync('prometheus', ['--version'], { stdio: 'ignore' });
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    const missing = 'prometheus is not installed (apt-get install prometheus)';
    if (kernelTestsRequired()) throw new Error(`kernel test prerequisite missing in CI: ${missing}`);
    return `SKIPPED (kernel test): ${missing}`;
  }
}

const skip = prometheusGate();
const dir = mkdtempSync(join(tmpdir(), 'faultline-prometheus-'));
let prometheus: ChildProcess | null = null;
let guest: Guest | null = null;
let live: LiveRun | null = null;
let server: Server | null = null;
let feed: NodeJS.Timeout | null = null;
const prometheusLog: string[] = [];

after(async () => {
  if (feed) clearInterval(feed);
  if (prometheus?.pid && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
    process.kill(prometheus.pid, 'SIGTERM');
    const timer = setTimeout(() => prometheus!.exitCode === null && process.kill(prometheus!.pid!, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  await guest?.stop();
  await live?.stop();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** A port nobody listens on right now (closed again at once; Prometheus takes it). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function getJson(url: string): Promise<any> {
  const res = await fetch(url);
  return res.json();
}

async function until<T>(what: string, timeoutMs: number, f: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await f();
      if (value !== null) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${String(last)}); prometheus said:\n${prometheusLog.slice(-20).join('\n')}`);
}

const MiB = 2 ** 20;
const UUID = '3b9e7c2a-51d4-4f0e-8a6b-2c4d6e8f0a1b';

test('Prometheus scrapes /metrics and returns a VM\'s series', { skip, timeout: 180_000 }, async () => {
  guest = await startGuest({ name: 'prom-web01', uuid: UUID, memoryMiB: 256, startPaused: true });
  live = startLive(['--interval', '1s', '--groups', 'faults', '--listen', '127.0.0.1:0']);
  const first = await live.waitFor((s) => s.vms.some((v) => v.pid === guest!.pid), 90_000, 'a snapshot with the VM');
  assert.equal(first.vms.find((v) => v.pid === guest!.pid)!.kind, 'vm');
  const uiUrl = live.stderr.map((l) => l.match(/UI at (http:\/\/[^/\s]+)/)?.[1]).find(Boolean);
  assert.ok(uiUrl, `no "UI at" line from faultline: ${live.stderr.join(' | ')}`);
  let metricsUrl = `${uiUrl}/metrics`;
  if ((await fetch(metricsUrl)).status === 404) {
    // /metrics not mounted by the UI server yet: serve what faultline prints
    const state = new MetricsState();
    let fed = 0;
    const feedNew = (): void => {
      while (fed < live!.snapshots.length) state.update(live!.snapshots[fed++]!);
    };
    feedNew();
    feed = setInterval(feedNew, 200);
    server = createServer(metricsHandler(state));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    metricsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    console.log('  the UI server has no /metrics yet: serving faultline\'s snapshots from the test');
  }
  const metricsTarget = new URL(metricsUrl).host;

  // what we serve passes promtool's own check
  const exposition = await (await fetch(metricsUrl)).text();
  execFileSync('promtool', ['check', 'metrics'], { input: exposition });

  const promPort = await freePort();
  // the alerting rules faultline ships, and the same made with a threshold every
  // host crosses (MemAvailable below 100%) and no hold time, renamed Test*: it must fire
  const firing = alertRulesYaml(thresholdsFrom({ hostAvailableWarningPct: 100 }, 'test'), { warningFor: '0s', criticalFor: '0s' }).replace(/alert: Faultline/g, 'alert: TestFaultline');
  writeFileSync(join(dir, 'firing-rules.yml'), firing);
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    `  - ${join(REPO_ROOT, 'docs/prometheus/faultline-rules.yml')}`,
    `  - ${join(dir, 'firing-rules.yml')}`,
    'scrape_configs:',
    '  - job_name: faultline',
    '    scrape_interval: 1s',
    '    scrape_timeout: 1s',
    '    static_configs:',
    `      - targets: ['${metricsTarget}']`,
    '',
  ].join('\n'));
  prometheus = spawn('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  createInterface({ input: prometheus.stderr! }).on('line', (line) => prometheusLog.push(line));
  const api = `http://127.0.0.1:${promPort}`;
  await until('Prometheus to be ready', 60_000, async () => ((await fetch(`${api}/-/ready`)).ok ? true : null));

  const target = await until('a healthy scrape of faultline', 60_000, async () => {
    const body = await getJson(`${api}/api/v1/targets`);
    const t = body.data.activeTargets.find((x: any) => x.labels.job === 'faultline');
    return t?.health === 'up' ? t : null;
  });
  assert.equal(target.lastError, '');

  const query = async (promql: string): Promise<any[]> => (await getJson(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`)).data.result;
  const vm = `vm="prom-web01",uuid="${UUID}"`;
  const selector = `faultline_vm_rss_bytes{${vm},kind="total"}`;
  const rss = await until(`${selector} in Prometheus`, 60_000, async () => {
    const result = await query(selector);
    return result.length > 0 ? result[0] : null;
  });
  assert.equal(rss.metric.job, 'faultline');
  const rssBytes = Number(rss.value[1]);
  // the guest is paused: QEMU's RSS holds still between faultline's read and now
  assert.ok(rssBytes > 10 * MiB && Math.abs(rssBytes - guest.rssBytes()) < 16 * MiB, `RSS in Prometheus ${rssBytes}, QEMU's own ${guest.rssBytes()}`);

  const [info] = await query(`faultline_vm_info{${vm}}`);
  assert.deepEqual({ kind: info.metric.kind, source: info.metric.source, value: info.value[1] }, { kind: 'vm', source: 'libvirt', value: '1' });
  const [memory] = await query(`faultline_vm_memory_bytes{${vm}}`);
  assert.equal(Number(memory.value[1]), 256 * MiB);
  const kinds = (await query(`faultline_vm_rss_bytes{${vm}}`)).map((r: any) => r.metric.kind).sort();
  assert.deepEqual(kinds, ['file', 'guest_ram', 'own_anon', 'shmem', 'swap', 'total']);
  const faultTypes = (await query(`faultline_vm_faults_total{${vm}}`)).map((r: any) => r.metric.type).sort();
  assert.deepEqual(faultTypes, ['file', 'guest_ram', 'kernel', 'major', 'minor', 'user']);
  const [attached] = await query('faultline_probe_attached{group="faults"}');
  assert.equal(attached.value[1], '1');
  // the diagnosis: a status on every scrape (0 healthy, 1 warning, 2 critical)
  const [health] = await query('faultline_health_status');
  assert.ok(['0', '1', '2'].includes(health.value[1]), `faultline_health_status ${health?.value?.[1]}`);
  // the shipped rules load and evaluate without error against the real series; a rule
  // made to fire fires, with its summary from the real MemAvailable
  const groups = await until('the rules evaluated', 30_000, async () => {
    const body = await getJson(`${api}/api/v1/rules`);
    const all = body.data.groups.flatMap((g: any) => g.rules);
    // the shipped rules and the copy made to fire: twice the shipped count
    return all.length === 2 * 16 && all.every((r: any) => r.lastEvaluation && !r.lastEvaluation.startsWith('0001')) ? body.data.groups : null;
  });
  const shipped = groups.find((g: any) => g.file.endsWith('docs/prometheus/faultline-rules.yml'));
  assert.equal(shipped.rules.length, 16);
  for (const r of shipped.rules) assert.equal(r.health, 'ok', `${r.name}: ${r.lastError}`);
  const alert = await until('TestFaultlineHostMemoryLow firing', 30_000, async () => {
    const body = await getJson(`${api}/api/v1/alerts`);
    return body.data.alerts.find((a: any) => a.labels.alertname === 'TestFaultlineHostMemoryLow' && a.state === 'firing') ?? null;
  });
  assert.match(alert.annotations.summary, /^host memory available [\d.]+% \(below 100%\)$/);
  // no pid or address labels anywhere
  const labels = await getJson(`${api}/api/v1/labels`);
  assert.ok(!labels.data.includes('pid') && !labels.data.includes('address'), `labels: ${labels.data.join(',')}`);
  console.log(`  Prometheus ${api} scraped ${metricsTarget}: ${selector} = ${rssBytes} (QEMU VmRSS ${guest.rssBytes()})`);
});
