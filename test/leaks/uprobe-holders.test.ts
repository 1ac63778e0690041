// The clash diagnosis (src/leaks/uprobe-holders.ts) on real captures from this VM
// with memleak-bpfcc -p PID running: a slice of `bpftool perf show --json` and the
// kernel's mismatch lines after bpftrace 0.17 tried the same functions; and the ELF
// reader on the host's own libc.so.6 (the offsets bpftool and the kernel report).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { commandOf, describeClash, parseBpftoolPerf, parseRefCtrMismatches } from '../../src/leaks/uprobe-holders.js';
import { elfFunctions, namesAt } from '../../src/leaks/elf-symbols.js';

const BPFTOOL = '[{"pid":15795,"fd":11,"prog_id":24171,"fd_type":"uprobe","filename":"/proc/15789/root/usr/lib/x86_64-linux-gnu/libc.so.6","offset":624944},' +
  '{"pid":15795,"fd":13,"prog_id":24172,"fd_type":"uretprobe","filename":"/proc/15789/root/usr/lib/x86_64-linux-gnu/libc.so.6","offset":624944},' +
  '{"pid":900,"fd":5,"prog_id":12,"fd_type":"tracepoint","tracepoint":"sched_switch"}]';
const DMESG = '[71160.566993] ref_ctr_offset mismatch. inode: 0x52db4 offset: 0x101a00 ref_ctr_offset(old): 0x6 ref_ctr_offset(new): 0x0\n' +
  '[71160.6] something else\n';

test('bpftool: uprobe and uretprobe rows kept with pid and file offset; others dropped; bad JSON is none', () => {
  assert.deepEqual(parseBpftoolPerf(BPFTOOL).map((h) => [h.pid, h.kind, h.offset]), [[15795, 'uprobe', 624944], [15795, 'uretprobe', 624944]]);
  assert.deepEqual(parseBpftoolPerf('not json'), []);
});

test('kernel log: the mismatch line gives inode, offset and both reference-counter offsets', () => {
  assert.deepEqual(parseRefCtrMismatches(DMESG), [{ inode: 0x52db4, offset: 0x101a00, oldRefCtr: 6, newRefCtr: 0 }]);
});

test('the command of a python tool is the script, not python3; control characters cleaned', () => {
  assert.equal(commandOf(['/usr/bin/python3', '/usr/sbin/memleak-bpfcc', '-p', '15789', '5', ''].join('\0')), 'memleak-bpfcc -p 15789 5');
  assert.equal(commandOf(['/usr/bin/bpftrace', '-e', 'x\x1b'].join('\0')), 'bpftrace -e x?');
});

test('the clash names every function, who holds it and the offsets, in one line', () => {
  const { message, hint } = describeClash([
    { name: 'malloc', offset: 0x98930, holders: ['pid 15795 (memleak-bpfcc -p 15789 5)'], oldRefCtr: 6 },
    { name: 'munmap', offset: 0x101a00, holders: ['pid 15795 (memleak-bpfcc -p 15789 5)'], oldRefCtr: null },
  ]);
  assert.equal(message, "another uprobe tool holds libc's malloc, munmap with a different reference-counter offset (0x6; bpftrace uses 0), " +
    'and the kernel allows one per function: pid 15795 (memleak-bpfcc -p 15789 5) holds malloc, munmap');
  assert.ok(!message.includes('\n') && hint.includes('stop that tool'));
});

const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';
test('ELF: libc\'s malloc and munmap at the file offsets the kernel and bpftool name', { skip: !existsSync(LIBC) && 'no glibc here' }, () => {
  const fns = elfFunctions(readFileSync(LIBC));
  const malloc = fns.find((f) => f.name === 'malloc')!;
  const munmap = fns.find((f) => f.name === 'munmap')!;
  assert.ok(malloc && munmap, 'malloc and munmap are in .dynsym');
  assert.equal(namesAt(fns, malloc.offset)[0], 'malloc');
  // on Debian 12's glibc 2.36 (this VM): the offsets of the captures above
  if (malloc.offset === 624944) assert.equal(munmap.offset, 0x101a00);
  assert.deepEqual(elfFunctions(Buffer.from('not an elf')), []);
});
