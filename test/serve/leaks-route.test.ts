// POST /api/leaks (deep leak mode from the UI) on a loopback UiServer with a fake
// trace: token, Origin, Host, body limits, pid and duration checks, one trace at a
// time; and `live --allow-leaks` without --token refused. No root needed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { spawnSync } from 'node:child_process';
import { UiServer, MAX_POST_BODY_BYTES } from '../../src/serve/ui-server.js';
import { leaksRoute, type DeepTrace, type LeakReportJson } from '../../src/serve/leaks-route.js';
import { FaultlineError } from '../../src/model/errors.js';
import type { Snapshot } from '../../src/model/snapshot.js';
import { cliCommand, REPO_ROOT } from '../harness/faultline-live.js';

const TOKEN = 's3cret';
const SNAPSHOT = {
  seq: 1, timeMs: 1, intervalMs: 1000, events: [],
  vms: [{ id: 'vm-1', pid: 4242, kind: 'vm', name: 'web', comm: 'qemu' }, { id: 'p-7', pid: 777, kind: 'process', name: '', comm: 'leaky' }],
} as unknown as Snapshot;

const REPORT: LeakReportJson = {
  pid: 4242, comm: 'qemu', durationMs: 5000, sample: 16, minAgeMs: 1666, totalBytes: 4096, totalCount: 16, keptAllocations: 1,
  tableFull: false, lostEvents: 0,
  sites: [{ bytes: 4096, count: 16, sampled: 1, oldestAgeMs: 3000, frames: [{ address: 1, symbol: 'leak_here', offset: 4, module: '/bin/x' }], stack: ['leak_here+4 (x)'] }],
};

const servers: UiServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function serve(trace: DeepTrace): Promise<number> {
  const route = leaksRoute({ latest: () => SNAPSHOT, trace });
  const server = new UiServer({
    listen: { host: '127.0.0.1', port: 0 }, token: TOKEN, source: { greeting: () => [] }, postRoutes: { '/api/leaks': route.handle },
  });
  servers.push(server);
  return Number(new URL(await server.start()).port);
}

interface Reply { status: number; json: unknown }

function send(port: number, opts: { method?: string; path?: string; body?: string; token?: string | null; origin?: string }): Promise<Reply> {
  const headers: Record<string, string> = { Host: `127.0.0.1:${port}`, 'Content-Type': 'application/json' };
  if (opts.token !== null) headers.Authorization = `Bearer ${opts.token ?? TOKEN}`;
  if (opts.origin) headers.Origin = opts.origin;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: opts.path ?? '/api/leaks', method: opts.method ?? 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: unknown = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const body = (pid: number, durationS: number): string => JSON.stringify({ pid, durationS });

test('POST /api/leaks: token, Origin, pid, duration, body checks before any trace', async () => {
  const calls: number[] = [];
  const port = await serve(async (pid) => {
    calls.push(pid);
    return REPORT;
  });
  assert.equal((await send(port, { body: body(4242, 5), token: null })).status, 401);
  assert.equal((await send(port, { body: body(4242, 5), token: 'wrong' })).status, 401);
  assert.equal((await send(port, { path: `/api/leaks?token=${TOKEN}`, body: body(4242, 5), token: null })).status, 200, 'token in the query');
  calls.length = 0;
  assert.equal((await send(port, { body: body(4242, 5), origin: 'http://evil.example' })).status, 403);
  const notShown = await send(port, { body: body(1, 5) });
  assert.equal(notShown.status, 404);
  assert.match((notShown.json as { error: string }).error, /pid 1/);
  for (const d of [4, 61, 30.5, '30']) assert.equal((await send(port, { body: JSON.stringify({ pid: 4242, durationS: d }) })).status, 400, `durationS ${d}`);
  assert.equal((await send(port, { body: JSON.stringify({ pid: '4242', durationS: 5 }) })).status, 400);
  assert.equal((await send(port, { body: '{not json' })).status, 400);
  assert.equal((await send(port, { body: JSON.stringify({ pid: 4242, durationS: 5, pad: 'x'.repeat(MAX_POST_BODY_BYTES) }) })).status, 413);
  assert.deepEqual(calls, [], 'no trace ran for a refused request');
  assert.equal((await send(port, { method: 'GET' })).status, 405);
  assert.equal((await send(port, { method: 'POST', path: '/metrics', body: '{}' })).status, 405, 'other POSTs stay 405');
});

test('POST /api/leaks: one trace at a time; answers the report; errors as 500 JSON', async () => {
  let release: () => void = () => {};
  let fail = false;
  const port = await serve((pid, durationMs) => new Promise((resolve, reject) => {
    release = () => (fail ? reject(new FaultlineError('E_NO_GLIBC', `pid ${pid} has no glibc`, 'x')) : resolve({ ...REPORT, pid, durationMs }));
  }));
  const first = send(port, { body: body(777, 30), origin: `http://127.0.0.1:${port}` });
  await new Promise((r) => setTimeout(r, 100));
  const second = await send(port, { body: body(4242, 5) });
  assert.equal(second.status, 409);
  release();
  const done = await first;
  assert.equal(done.status, 200);
  assert.deepEqual(done.json, { ...REPORT, pid: 777, durationMs: 30_000 });
  fail = true;
  const failing = send(port, { body: body(4242, 5) });
  await new Promise((r) => setTimeout(r, 100));
  release();
  const failed = await failing;
  assert.equal(failed.status, 500);
  assert.deepEqual(failed.json, { error: 'pid 4242 has no glibc' });
});

test('a UiServer with POST routes and no token is refused', () => {
  assert.throws(
    () => new UiServer({ listen: { host: '127.0.0.1', port: 0 }, token: null, source: { greeting: () => [] }, postRoutes: { '/api/leaks': () => {} } }),
    (e: unknown) => e instanceof FaultlineError && e.code === 'E_NEEDS_TOKEN',
  );
});

test('faultline live --allow-leaks without --token is refused before tracing', () => {
  const [command, argv] = cliCommand(['live', '--allow-leaks', '--listen', '127.0.0.1:0', '--bpftrace', '/nonexistent/bpftrace']);
  const r = spawnSync(command, argv, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /E_NEEDS_TOKEN: --allow-leaks needs --token/);
  const help = spawnSync(...cliCommand(['live', '--help']), { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
  assert.match(help.stdout, /--allow-leaks/);
});
