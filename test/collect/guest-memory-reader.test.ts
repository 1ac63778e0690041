// The guest-memory reader (src/collect/guest-memory-reader.ts) with a SYNTHETIC virsh
// (test/fixtures/fake-virsh/virsh, printing real captures): no libvirt socket or no
// virsh means no call at all; a call every 10 polls, never more than one in
// flight, poll() never waits; a failing virsh is said once per failing spell; readings
// go to the VM of libvirt's pid file, else to the one libvirt VM of that name.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GuestMemoryReader, type GuestMemoryReaderOptions } from '../../src/collect/guest-memory-reader.js';

const FAKE_VIRSH = fileURLToPath(new URL('../fixtures/fake-virsh/virsh', import.meta.url));
const CAPTURES = fileURLToPath(new URL('../fixtures/virsh/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'faultline-guest-reader-'));
const socket = join(dir, 'libvirt-sock-ro'); // a plain file: the reader only asks whether it is there
const pidDir = join(dir, 'qemu');
const calls = join(dir, 'calls');
after(() => rmSync(dir, { recursive: true, force: true }));

function reader(extra: GuestMemoryReaderOptions = {}): { r: GuestMemoryReader; logged: string[] } {
  const logged: string[] = [];
  const r = new GuestMemoryReader({ socketPaths: [socket], virsh: FAKE_VIRSH, pidDir, log: (line) => logged.push(line), ...extra });
  return { r, logged };
}

function fake(env: { output?: string; sleepS?: number; stderr?: string }): void {
  rmSync(calls, { force: true });
  process.env.FAKE_VIRSH_CALLS = calls;
  process.env.FAKE_VIRSH_OUTPUT = join(CAPTURES, env.output ?? 'domstats-balloon-one-guest.txt');
  if (env.sleepS) process.env.FAKE_VIRSH_SLEEP = String(env.sleepS);
  else delete process.env.FAKE_VIRSH_SLEEP;
  if (env.stderr) process.env.FAKE_VIRSH_STDERR = join(CAPTURES, env.stderr);
  else delete process.env.FAKE_VIRSH_STDERR;
}

const callLines = (): string[] => (existsSync(calls) ? readFileSync(calls, 'utf8').trim().split('\n') : []);

test('no libvirt socket, or no virsh on PATH: virsh is never called', async () => {
  fake({});
  rmSync(socket, { force: true });
  const { r, logged } = reader();
  for (let i = 0; i < 25; i++) r.poll();
  await r.settled();
  writeFileSync(socket, '');
  const { r: noVirsh } = reader({ virsh: join(dir, 'virsh') });
  for (let i = 0; i < 25; i++) noVirsh.poll();
  await noVirsh.settled();
  assert.deepEqual([r.calls, noVirsh.calls, callLines(), logged], [0, 0, [], []]);
  assert.equal(r.readingFor(1, { name: 'fl-lv-test', source: 'libvirt' }), null);
});

test('with both: one call every 10 polls, the first at once, with virsh\'s read-only arguments', async () => {
  fake({});
  writeFileSync(socket, '');
  const { r, logged } = reader();
  for (let i = 0; i < 21; i++) {
    r.poll();
    await r.settled();
  }
  assert.equal(r.calls, 3);
  assert.deepEqual(callLines(), Array(3).fill('-r -c qemu:///system domstats --balloon --list-active --nowait'));
  assert.deepEqual(logged, []);
});

test('a slow virsh: never two calls at once, and poll() does not wait for it', async () => {
  fake({ sleepS: 0.5 });
  writeFileSync(socket, '');
  const { r } = reader({ everyIntervals: 1 });
  const started = Date.now();
  for (let i = 0; i < 5; i++) r.poll();
  assert.ok(Date.now() - started < 100, `five polls took ${Date.now() - started} ms`);
  await r.settled();
  assert.ok(Date.now() - started >= 500, 'settled once the slow call ended');
  assert.deepEqual([r.calls, callLines().length], [1, 1]);
  assert.ok(r.readingFor(0, { name: 'fl-lv-test', source: 'libvirt' }), 'the slow call\'s reading');
  r.poll();
  await r.settled();
  assert.equal(r.calls, 2);
});

test('a call that fails or times out: said once per failing spell, the readings dropped; never thrown', async () => {
  writeFileSync(socket, '');
  const { r, logged } = reader({ everyIntervals: 1, timeoutMs: 300 });
  fake({});
  r.poll();
  await r.settled();
  assert.ok(r.readingFor(0, { name: 'fl-lv-test', source: 'libvirt' }));
  fake({ stderr: 'no-daemon.stderr.txt' });
  for (let i = 0; i < 3; i++) {
    r.poll();
    await r.settled();
  }
  assert.equal(r.readingFor(0, { name: 'fl-lv-test', source: 'libvirt' }), null);
  assert.equal(logged.length, 1, logged.join('\n'));
  assert.match(logged[0]!, /^faultline: the guests' own memory figures are not read: .*virsh -r -c qemu:\/\/\/system domstats --balloon --list-active --nowait: error: Failed to connect socket to '\/var\/run\/libvirt\/libvirt-sock-ro': No such file or directory; trying again every 1 intervals$/);
  fake({});
  r.poll();
  await r.settled();
  fake({ sleepS: 2 });
  r.poll();
  await r.settled();
  assert.equal(logged.length, 2);
  assert.match(logged[1]!, /no answer in 300 ms/);
});

test('a reading goes to the pid in libvirt\'s pid file; without one, to the one libvirt VM of that name', async () => {
  writeFileSync(socket, '');
  fake({ output: 'domstats-balloon-two-guests.txt' });
  rmSync(pidDir, { recursive: true, force: true });
  const { r } = reader();
  r.poll();
  await r.settled();
  // no pid files: by name, libvirt VMs only
  assert.equal(r.readingFor(10, { name: 'fl-lv-test', source: 'libvirt' })?.balloonCurrentBytes, 256 * 2 ** 20);
  assert.equal(r.readingFor(10, { name: 'fl-lv-test', source: 'qemu' }), null);
  assert.equal(r.readingFor(10, { name: 'web01', source: 'libvirt' }), null);
  // pid files: by pid, whatever the row is called; a process of the same name that is
  // not that pid gets nothing
  mkdirSync(pidDir);
  writeFileSync(join(pidDir, 'fl-lv-test.pid'), '4242');
  const { r: withPids } = reader();
  withPids.poll();
  await withPids.settled();
  assert.equal(withPids.readingFor(4242, { name: 'qemu-4242', source: 'qemu' })?.guestUpdatedMs, 1_796_573_744_000);
  assert.equal(withPids.readingFor(77, { name: 'fl-lv-test', source: 'libvirt' }), null);
  assert.equal(withPids.readingFor(78, { name: 'fl-lv-nostats', source: 'libvirt' })?.guestUpdatedMs, 1_796_573_742_000);
});

test('the second reading of a guest that reported again has its swap rates', async () => {
  writeFileSync(socket, '');
  rmSync(pidDir, { recursive: true, force: true });
  const { r } = reader({ everyIntervals: 1 });
  fake({ output: 'domstats-balloon-one-guest.txt' });
  r.poll();
  await r.settled();
  assert.equal(r.readingFor(0, { name: 'fl-lv-test', source: 'libvirt' })!.swapInPagesPerSec, -1);
  fake({ output: 'domstats-balloon-after-setmem.txt' });
  r.poll();
  await r.settled();
  const g = r.readingFor(0, { name: 'fl-lv-test', source: 'libvirt' })!;
  assert.deepEqual([g.swapInPagesPerSec, g.swapOutPagesPerSec, g.balloonCurrentBytes], [0, 0, 195584 * 1024]);
});
