// The QEMU guest harness (test/harness/qemu-guest.ts) against a real QEMU (TCG) guest:
// the process looks like a libvirt-started QEMU, guest RAM is one anonymous mapping of
// exactly -m bytes, the guest's memory growth shows up in QEMU's RSS, and the control
// channel and the virtio balloon move RSS both ways. One QEMU at a time; about 20 s.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { kernelGate } from '../harness/kernel-gate.js';
import { startGuest, waitForBalloon } from '../harness/qemu-guest.js';

const MiB = 1024 * 1024;
const skip = kernelGate({ qemu: true });

function threadNames(pid: number): string[] {
  const names: string[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      names.push(readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim());
    } catch {
      /* thread exited meanwhile */
    }
  }
  return names;
}

function anonRwMappingSizes(pid: number): number[] {
  const sizes: number[] = [];
  for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 5 || f[1] !== 'rw-p' || !f[0]) continue; // no path: anonymous
    const [lo, hi] = f[0].split('-').map((x) => BigInt(`0x${x}`));
    if (lo !== undefined && hi !== undefined) sizes.push(Number(hi - lo));
  }
  return sizes;
}

test('a libvirt-style QEMU guest whose memory grows on a schedule', { skip, timeout: 60_000 }, async (t) => {
  const name = `fl-harness-${process.pid}`;
  const uuid = randomUUID();
  const guest = await startGuest({ name, uuid, memoryMiB: 512, hogMiB: 8, hogLimitMiB: 64, hogIntervalS: 1 });
  t.after(() => guest.stop());
  const { pid } = guest;

  assert.equal(readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), 'qemu-system-x86');
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  assert.ok(argv.includes(`guest=${name},debug-threads=on`), `cmdline: ${argv.join(' ')}`);
  assert.ok(argv.includes(uuid), `cmdline has no -uuid ${uuid}`);
  assert.equal(guest.memoryBytes, 512 * MiB);

  // guest RAM: exactly one anonymous rw-p mapping of -m bytes (TCG's code cache is 32 MiB)
  const sizes = anonRwMappingSizes(pid);
  assert.equal(sizes.filter((s) => s === 512 * MiB).length, 1, `anonymous rw-p sizes: ${sizes.join(',')}`);
  const ram = guest.guestRamRange();
  assert.equal(ram.end - ram.start, BigInt(512 * MiB));

  const first = await guest.waitForConsole(/^HOG: total=\d+MiB/, 20_000);
  const rssFirst = guest.rssBytes();
  // debug-threads=on names the vCPU thread; it exists once the guest runs
  assert.ok(threadNames(pid).includes('CPU 0/TCG'), `threads: ${threadNames(pid).join(',')}`);
  const done = await guest.waitForConsole(/^HOG: done total=64MiB/, 30_000);
  const rssDone = guest.rssBytes();
  const grownMiB = (rssDone - rssFirst) / MiB;
  t.diagnostic(`${first} -> ${done}: RSS ${(rssFirst / MiB).toFixed(0)} -> ${(rssDone / MiB).toFixed(0)} MiB`);
  assert.ok(grownMiB >= 40, `RSS grew by only ${grownMiB.toFixed(1)} MiB while the guest allocated 56 MiB`);

  const ack = await guest.ctl('stat', 10_000);
  assert.match(ack, /^ACK stat\s+hogged=64MiB memfree=\d+kB/);

  await guest.stop();
  assert.equal(existsSync(`/proc/${pid}`), false, `qemu pid ${pid} still exists after stop()`);
  assert.equal(existsSync(guest.runDir), false, 'runDir not removed');
  assert.equal(guest.exited, true);
  await guest.stop(); // idempotent
});

test('ctl alloc grows QEMU RSS; the balloon after freeall shrinks it', { skip, timeout: 60_000 }, async (t) => {
  const guest = await startGuest({ memoryMiB: 512, hogLimitMiB: 0 });
  t.after(() => guest.stop());

  await guest.waitForConsole(/^INIT: hog start .*limit=0/, 20_000);
  const rss0 = guest.rssBytes();
  const ack = await guest.ctl('alloc 32');
  assert.match(ack, /^ACK alloc 32 hogged=32MiB/);
  const rss1 = guest.rssBytes();
  const grownMiB = (rss1 - rss0) / MiB;
  // measured: +23 MiB. The first allocation after boot reuses ~9 MiB of pages the guest
  // touched while booting and freed; later ones grow RSS 1:1 (the harness boots nokaslr)
  assert.ok(grownMiB >= 16, `alloc 32 grew RSS by ${grownMiB.toFixed(1)} MiB`);

  assert.match(await guest.ctl('freeall'), /^ACK freeall\s+hogged=0MiB/);
  const target = 128 * MiB;
  await guest.qmp('balloon', { value: target });
  const actual = await waitForBalloon(guest, target, 15_000);
  assert.equal(actual, target, `balloon stuck at ${actual / MiB} MiB`);
  const rss2 = guest.rssBytes();
  const droppedMiB = (rss1 - rss2) / MiB;
  t.diagnostic(
    `RSS ${(rss0 / MiB).toFixed(0)} -> alloc 32 -> ${(rss1 / MiB).toFixed(0)} -> freeall+balloon 128M -> ${(rss2 / MiB).toFixed(0)} MiB`,
  );
  // measured: -32 MiB, to ~176 MiB, below the RSS before the alloc: the balloon takes 384
  // of the ~440 MiB free in the guest, so QEMU drops (MADV_DONTNEED) the freed 32 MiB and
  // most pages the guest touched while booting. After a 96 MiB leak it dropped 95 MiB.
  assert.ok(droppedMiB >= 24, `balloon to 128 MiB dropped RSS by only ${droppedMiB.toFixed(1)} MiB`);
});

test('startPaused leaves the guest in prelaunch; disableThp turns THP off for QEMU', { skip, timeout: 30_000 }, async (t) => {
  const guest = await startGuest({ memoryMiB: 256, startPaused: true, disableThp: true });
  t.after(() => guest.stop());

  const status = readFileSync(`/proc/${guest.pid}/status`, 'utf8');
  assert.match(status, /^THP_enabled:\s+0$/m);
  const st = (await guest.qmp('query-status')) as { status: string; running: boolean };
  assert.equal(st.status, 'prelaunch');
  assert.equal(st.running, false);
  assert.equal(guest.consoleOffset(), 0, 'a paused guest printed to its console');
  await guest.cont();
  assert.equal(((await guest.qmp('query-status')) as { running: boolean }).running, true);
  await guest.waitForConsole(/^INIT: reached \/init/, 20_000);
  await assert.rejects(guest.qmp('no-such-command'), /CommandNotFound/);
});
