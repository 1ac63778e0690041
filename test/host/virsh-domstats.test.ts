// `virsh domstats --balloon` output (src/host/virsh-domstats.ts): the parser on REAL
// captures from libvirt 9.0 (test/fixtures/virsh/README.md), the guest's figures in
// bytes with libvirt's names turned into the guest's meminfo ones, and the swap rates
// between two readings (synthetic readings, named so).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { guestMemoryOf, guestSwapRates, parseDomstats, runDomstats } from '../../src/host/virsh-domstats.js';
import type { GuestMemory } from '../../src/model/snapshot.js';

const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`../fixtures/virsh/${name}`, import.meta.url)), 'utf8');
const FAKE_VIRSH = fileURLToPath(new URL('../fixtures/fake-virsh/virsh', import.meta.url));
const KiB = 1024;

test('one guest: every balloon stat, by key', () => {
  const [domain, ...rest] = parseDomstats(fixture('domstats-balloon-one-guest.txt'));
  assert.equal(rest.length, 0);
  assert.equal(domain!.name, 'fl-lv-test');
  assert.deepEqual([...domain!.stats.keys()], [
    'balloon.current', 'balloon.maximum', 'balloon.swap_in', 'balloon.swap_out', 'balloon.major_fault', 'balloon.minor_fault',
    'balloon.unused', 'balloon.available', 'balloon.usable', 'balloon.last-update', 'balloon.disk_caches',
    'balloon.hugetlb_pgalloc', 'balloon.hugetlb_pgfail', 'balloon.rss',
  ]);
  assert.equal(domain!.stats.get('balloon.usable'), 199072);
});

test('the guest memory of a reading: KiB to bytes; available is MemTotal, usable MemAvailable, unused MemFree', () => {
  const [domain] = parseDomstats(fixture('domstats-balloon-after-setmem.txt')).filter((d) => d.name === 'fl-lv-test');
  assert.deepEqual(guestMemoryOf(domain!, 1_796_573_762_500), {
    balloonCurrentBytes: 195584 * KiB, balloonMaximumBytes: 262144 * KiB,
    memTotalBytes: 223764 * KiB, memFreeBytes: 13428 * KiB, memAvailableBytes: 16864 * KiB, diskCachesBytes: 118952 * KiB,
    swapInBytes: 0, swapOutBytes: 0, majorFaults: 0, minorFaults: 18391,
    swapInPagesPerSec: -1, swapOutPagesPerSec: -1,
    guestUpdatedMs: 1_796_573_761_000, readAtMs: 1_796_573_762_500,
  });
});

test('two guests, one without a stats period (reported once, at boot), in virsh\'s order', () => {
  const domains = parseDomstats(fixture('domstats-balloon-two-guests.txt'));
  assert.deepEqual(domains.map((d) => d.name), ['fl-lv-nostats', 'fl-lv-test']);
  const [nostats, withStats] = domains.map((d) => guestMemoryOf(d, 0)!);
  assert.equal(nostats!.guestUpdatedMs, 1_796_573_742_000);
  assert.ok(withStats!.guestUpdatedMs > nostats!.guestUpdatedMs);
});

test('no running domain, a domain without balloon figures, names with quotes and odd lines', () => {
  assert.deepEqual(parseDomstats(fixture('domstats-balloon-no-domains.txt')), []);
  // SYNTHETIC: a domain with no balloon device lists no balloon.* line; one whose
  // guest never reported has current and maximum only
  const text = "Domain: 'no-balloon'\n\nDomain: 'it''s \"odd\"'\n  balloon.current=1024\n  balloon.maximum=2048\n  state.reason=\n  garbage\n";
  const [none, odd] = parseDomstats(text);
  assert.equal(guestMemoryOf(none!, 0), null);
  assert.equal(odd!.name, 'it\'\'s "odd"');
  assert.deepEqual([...odd!.stats], [['balloon.current', 1024], ['balloon.maximum', 2048]]);
  const g = guestMemoryOf(odd!, 5)!;
  assert.deepEqual([g.balloonCurrentBytes, g.balloonMaximumBytes, g.memAvailableBytes, g.memFreeBytes, g.swapInBytes, g.majorFaults, g.guestUpdatedMs], [1024 * KiB, 2048 * KiB, -1, -1, -1, -1, 0]);
});

/** SYNTHETIC readings around the captured one. */
function reading(fields: Partial<GuestMemory>): GuestMemory {
  const [domain] = parseDomstats(fixture('domstats-balloon-one-guest.txt'));
  return { ...guestMemoryOf(domain!, 0)!, ...fields };
}

test('swap rates: over the guest\'s own report times, else the reads; none before two readings or after a reboot', () => {
  const first = reading({ swapInBytes: 0, swapOutBytes: 4096 * 100, guestUpdatedMs: 10_000, readAtMs: 10_500 });
  assert.equal(guestSwapRates(null, first).swapInPagesPerSec, -1);
  // 50 pages in, 200 out over the guest's 10 s (the reads were 12 s apart)
  const second = guestSwapRates(first, reading({ swapInBytes: 4096 * 50, swapOutBytes: 4096 * 300, guestUpdatedMs: 20_000, readAtMs: 22_500 }));
  assert.deepEqual([second.swapInPagesPerSec, second.swapOutPagesPerSec], [5, 20]);
  // the guest has not reported since: the rates it had
  const same = guestSwapRates(second, reading({ swapInBytes: 4096 * 50, swapOutBytes: 4096 * 300, guestUpdatedMs: 20_000, readAtMs: 32_500 }));
  assert.deepEqual([same.swapInPagesPerSec, same.swapOutPagesPerSec], [5, 20]);
  // counters that went back: the guest rebooted
  const rebooted = guestSwapRates(second, reading({ swapInBytes: 0, swapOutBytes: 0, guestUpdatedMs: 40_000, readAtMs: 42_500 }));
  assert.equal(rebooted.swapInPagesPerSec, -1);
  // no report times (0): the time between the reads
  const unstamped = guestSwapRates(reading({ swapInBytes: 0, swapOutBytes: 0, guestUpdatedMs: 0, readAtMs: 1000 }), reading({ swapInBytes: 4096 * 40, swapOutBytes: 0, guestUpdatedMs: 0, readAtMs: 5000 }));
  assert.deepEqual([unstamped.swapInPagesPerSec, unstamped.swapOutPagesPerSec], [10, 0]);
  // a guest that does not report swap
  assert.equal(guestSwapRates(first, reading({ swapInBytes: -1, swapOutBytes: -1, guestUpdatedMs: 20_000 })).swapInPagesPerSec, -1);
});

test('runDomstats: virsh\'s arguments as an array, its output; a failure names the error line that says why', async () => {
  const dir = fileURLToPath(new URL('../fixtures/virsh/', import.meta.url));
  process.env.FAKE_VIRSH_OUTPUT = `${dir}domstats-balloon-one-guest.txt`;
  assert.equal(await runDomstats({ virsh: FAKE_VIRSH, uri: 'qemu:///system', timeoutMs: 5000 }), fixture('domstats-balloon-one-guest.txt'));
  process.env.FAKE_VIRSH_STDERR = `${dir}no-daemon.stderr.txt`;
  await assert.rejects(runDomstats({ virsh: FAKE_VIRSH, uri: 'qemu:///system', timeoutMs: 5000 }),
    /virsh -r -c qemu:\/\/\/system domstats --balloon --list-active --nowait: error: Failed to connect socket to '\/var\/run\/libvirt\/libvirt-sock-ro': No such file or directory$/);
  delete process.env.FAKE_VIRSH_STDERR;
  process.env.FAKE_VIRSH_SLEEP = '2';
  await assert.rejects(runDomstats({ virsh: FAKE_VIRSH, uri: 'qemu:///system', timeoutMs: 200 }), /no answer in 200 ms$/);
  delete process.env.FAKE_VIRSH_SLEEP;
});
