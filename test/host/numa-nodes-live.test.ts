// readNumaNodes on this machine's real /sys, against the node files read here by
// other means (awk-like regexes over the same files, and /proc/meminfo): every node
// with memory is listed, its MemTotal exact, and on a one-node machine node 0's total
// is the host's MemTotal. A /sys without node directories gives []. Two nodes are
// tested for real in the lab lane (test/lab/lab-results.test.ts, L1 with two nodes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNumaNodes, readVcpuCpus } from '../../src/host/numa-nodes.js';

const NODE_DIR = '/sys/devices/system/node';
const skip = existsSync(NODE_DIR) ? false : 'no /sys/devices/system/node on this kernel';

test('the nodes of this machine, as sysfs and /proc/meminfo have them', { skip }, async () => {
  const nodes = await readNumaNodes();
  const expected = readdirSync(NODE_DIR)
    .filter((n) => /^node\d+$/.test(n))
    .map((n) => ({ node: Number(n.slice(4)), totalKb: Number(/MemTotal:\s+(\d+) kB/.exec(readFileSync(join(NODE_DIR, n, 'meminfo'), 'utf8'))?.[1]), cpulist: readFileSync(join(NODE_DIR, n, 'cpulist'), 'utf8').trim() }))
    .filter((n) => n.totalKb > 0)
    .sort((a, b) => a.node - b.node);
  assert.deepEqual(nodes.map((n) => [n.node, n.totalBytes]), expected.map((n) => [n.node, n.totalKb * 1024]));
  for (const n of nodes) {
    assert.ok(n.freeBytes > 0 && n.freeBytes <= n.totalBytes, `node ${n.node} free ${n.freeBytes}`);
    assert.ok(n.availableBytes >= n.freeBytes && n.availableBytes <= n.totalBytes, `node ${n.node} available ${n.availableBytes}`);
  }
  if (nodes.length === 1) {
    const memTotalKb = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]);
    assert.equal(nodes[0]!.totalBytes, memTotalKb * 1024);
    // every online CPU is on node 0
    const online = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
    assert.equal(expected[0]!.cpulist, online);
    assert.equal(nodes[0]!.cpus, nodes[0]!.cpuList.length);
  }
  const noSys = mkdtempSync(join(tmpdir(), 'no-sys-'));
  try {
    assert.deepEqual(await readNumaNodes(noSys), []);
  } finally {
    rmSync(noSys, { recursive: true, force: true });
  }
});

test('readVcpuCpus: a process without vCPU threads has none; a gone pid has none', async () => {
  assert.deepEqual(await readVcpuCpus('/proc', process.pid), []);
  assert.deepEqual(await readVcpuCpus('/proc', 2 ** 22 + 1), []);
});
