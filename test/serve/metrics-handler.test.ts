// metricsHandler over a real loopback HTTP server: content type, GET, HEAD, 405.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetricsState, metricsHandler } from '../../src/serve/metrics.js';

const server = createServer(metricsHandler(new MetricsState()));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function fetchRaw(method: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', method }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('GET: 200, text format 0.0.4, the rendering as body', async () => {
  const res = await fetchRaw('GET');
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  assert.match(res.body, /^# HELP faultline_vm_series /);
  assert.equal(Number(res.headers['content-length']), Buffer.byteLength(res.body));
});

test('HEAD: headers only; POST: 405 with Allow', async () => {
  const head = await fetchRaw('HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  const post = await fetchRaw('POST');
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
});
