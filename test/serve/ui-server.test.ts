// The UI server on loopback with a real ws client: greeting frames, tokens, Origin,
// Host, oversized messages, path traversal, seek, slow clients. No root needed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import WebSocket from 'ws';
import { UiServer, type FrameSource } from '../../src/serve/ui-server.js';
import { decodeFrame } from '../../src/proto/codec.js';
import { checkListenAccess, parseListen } from '../../src/serve/access.js';
import { FaultlineError } from '../../src/model/errors.js';
import type { Frame, Meta } from '../../src/model/snapshot.js';

const META: Meta = {
  formatVersion: 1, hostname: 'h', kernel: 'k', bpftraceVersion: '0.17.0', probeGroups: ['faults'],
  intervalMs: 1000, startTimeMs: 1, faultlineVersion: 't', mode: 'replay', endTimeMs: 5, historyMs: 0, deepLeaks: false,
};
const source: FrameSource = {
  greeting: () => [{ meta: META }, { history: { timeMs: [1, 2], host: { memAvailableBytes: [5, 6], swapUsedBytes: [0, 0], psiMemSomeAvg10: [0, 0], lostEvents: [0, 0], oomKills: [0, 0] }, vms: [] } }],
  seek: (timeMs) => [{ snapshot: { seq: 7, timeMs, intervalMs: 1000, vms: [], events: [] } as never }],
};

const servers: UiServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function serve(token: string | null, extra: Partial<ConstructorParameters<typeof UiServer>[0]> = {}): Promise<{ server: UiServer; port: number }> {
  const server = new UiServer({ listen: { host: '127.0.0.1', port: 0 }, token, source, ...extra });
  servers.push(server);
  const url = await server.start();
  return { server, port: Number(new URL(url).port) };
}

function connect(port: number, { token, origin, host }: { token?: string; origin?: string; host?: string } = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${token ? `?token=${token}` : ''}`, { origin, headers: host ? { Host: host } : {} });
  const frames: Frame[] = [];
  ws.on('message', (data) => frames.push(decodeFrame(new Uint8Array(data as Buffer))));
  const outcome = new Promise<{ opened: boolean; status?: number; closeCode?: number }>((resolve) => {
    ws.on('unexpected-response', (_req, res) => resolve({ opened: false, status: res.statusCode }));
    ws.on('open', () => resolve({ opened: true }));
    ws.on('error', () => resolve({ opened: false }));
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return { ws, frames, outcome, closed };
}

function get(port: number, path: string, host = `127.0.0.1:${port}`): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

test('a client gets meta, then history, and a seek answers with a snapshot', async () => {
  const { port } = await serve(null);
  const c = connect(port);
  assert.deepEqual(await c.outcome, { opened: true });
  await until(() => c.frames.length >= 2);
  assert.ok('meta' in c.frames[0]!);
  assert.ok('history' in c.frames[1]!);
  c.ws.send(JSON.stringify({ type: 'seek', timeMs: 3 }));
  await until(() => c.frames.length >= 3);
  assert.equal((c.frames[2] as { snapshot: { timeMs: number } }).snapshot.timeMs, 3);
  c.ws.close();
});

test('non-loopback --listen without a token is refused; HOST:PORT is validated', () => {
  assert.throws(() => checkListenAccess(parseListen('0.0.0.0:7070'), null), (e: unknown) => e instanceof FaultlineError && e.code === 'E_NEEDS_TOKEN');
  assert.throws(() => new UiServer({ listen: parseListen('192.0.2.1:7070'), token: null, source }), /not a loopback address/);
  assert.doesNotThrow(() => checkListenAccess(parseListen('0.0.0.0:7070'), 'secret'));
  assert.doesNotThrow(() => checkListenAccess(parseListen('[::1]:7070'), null));
  assert.throws(() => parseListen('7070'), /not HOST:PORT/);
  assert.throws(() => parseListen('host:99999'), /not HOST:PORT/);
});

test('wrong or missing token, foreign Origin, wrong Host: no data', async () => {
  const { port } = await serve('s3cret');
  for (const [opts, status] of [
    [{}, 401], [{ token: 'wrong' }, 401], [{ token: 's3cret', origin: 'http://evil.example' }, 403],
    [{ token: 's3cret', host: 'evil.example:80' }, 421],
  ] as const) {
    const c = connect(port, opts);
    assert.deepEqual(await c.outcome, { opened: false, status }, JSON.stringify(opts));
    assert.equal(c.frames.length, 0);
  }
  const ok = connect(port, { token: 's3cret', origin: `http://127.0.0.1:${port}` });
  assert.deepEqual(await ok.outcome, { opened: true });
  ok.ws.close();
});

test('an oversized message closes that socket (1009) while other clients continue', async () => {
  const { server, port } = await serve(null);
  const big = connect(port);
  const other = connect(port);
  await big.outcome;
  await other.outcome;
  big.ws.send('x'.repeat(10_000));
  assert.equal(await big.closed, 1009);
  const before = other.frames.length;
  server.broadcast({ meta: META });
  await until(() => other.frames.length > before);
  assert.equal(other.frames.length, before + 1);
  assert.equal(other.ws.readyState, WebSocket.OPEN);
  other.ws.close();
});

test('static files come from an allow-list: traversal and unknown paths are 404, wrong Host 421', async () => {
  const { port } = await serve(null);
  assert.equal(await get(port, '/'), 200);
  for (const path of ['/../package.json', '/%2e%2e/package.json', '//etc/passwd', '/app.js/../../x', '/src/cli/main.ts', '/dist/web/index.html']) {
    assert.equal(await get(port, path), 404, path);
  }
  assert.equal(await get(port, '/', 'attacker.example'), 421);
});

test('a client that never reads is skipped, then dropped; memory stays bounded', async () => {
  const { server, port } = await serve(null, { limits: { softBufferBytes: 64 << 10, hardBufferBytes: 512 << 10, maxSkippedInARow: 5 } });
  const slow = connect(port);
  const fast = connect(port);
  await slow.outcome;
  await fast.outcome;
  (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const payload = { meta: { ...META, hostname: 'x'.repeat(200_000) } };
  for (let i = 0; i < 60; i++) {
    server.broadcast(payload);
    await new Promise((r) => setTimeout(r, 5));
  }
  await until(() => server.clientCount === 1, 5000);
  assert.equal(server.clientCount, 1, 'the reader that never reads was dropped');
  assert.equal(fast.ws.readyState, WebSocket.OPEN);
  fast.ws.close();
  slow.ws.terminate();
});

test('200 clients at once all get their frames; one more is refused (503), nobody else notices', async () => {
  const { server, port } = await serve(null);
  const clients = Array.from({ length: 200 }, () => connect(port));
  const outcomes = await Promise.all(clients.map((c) => c.outcome));
  assert.equal(outcomes.filter((o) => o.opened).length, 200);
  const extra = connect(port);
  assert.deepEqual(await extra.outcome, { opened: false, status: 503 });
  await until(() => clients.every((c) => c.frames.length >= 2), 10_000);
  server.broadcast({ meta: META });
  await until(() => clients.every((c) => c.frames.length >= 3), 10_000);
  assert.equal(clients.filter((c) => c.frames.length >= 3).length, 200);
  for (const c of clients) c.ws.close();
});

test('malformed client messages are ignored: the socket stays and keeps getting frames', async () => {
  const { server, port } = await serve(null);
  const c = connect(port);
  await c.outcome;
  for (const junk of ['not json', '{"type":"seek","timeMs":"soon"}', '{"type":"seek","timeMs":1e400}', '{"__proto__":{"x":1}}', '[]', 'null']) c.ws.send(junk);
  c.ws.send(Buffer.from([0xff, 0x00, 0x13]));
  await until(() => c.frames.length >= 2);
  const before = c.frames.length;
  server.broadcast({ meta: META });
  await until(() => c.frames.length > before);
  assert.equal(c.ws.readyState, WebSocket.OPEN);
  assert.equal(({} as Record<string, unknown>).x, undefined);
  c.ws.close();
});
