import { test } from 'node:test';
import assert from 'node:assert/strict';
import { optionValue, parseQemuOptions, parseQemuSize, qemuOptionArgs } from '../../src/host/qemu-options.js';
import { unescapeQemuOption } from '../../src/host/qemu-identity.js';

const MiB = 2 ** 20;

test('unescapeQemuOption undoes comma doubling', () => {
  assert.equal(unescapeQemuOption('foo=1,,bar=2'), 'foo=1,bar=2');
  assert.equal(unescapeQemuOption(',,,,'), ',,');
  assert.equal(unescapeQemuOption('plain'), 'plain');
});

test('libvirt name-escape.args: guest=foo=1,,bar=2,debug-threads=on', () => {
  assert.deepEqual(parseQemuOptions('guest=foo=1,,bar=2,debug-threads=on', 'guest'), [
    ['guest', 'foo=1,bar=2'],
    ['debug-threads', 'on'],
  ]);
});

test('implied first key, and only for the first element', () => {
  assert.deepEqual(parseQemuOptions('vm100,debug-threads=on', 'guest'), [
    ['guest', 'vm100'],
    ['debug-threads', 'on'],
  ]);
  assert.deepEqual(parseQemuOptions('pc,usb', 'type'), [
    ['type', 'pc'],
    ['usb', 'on'],
  ]);
  // without an implied key a bare element is a flag
  assert.deepEqual(parseQemuOptions('a,b=2'), [
    ['a', 'on'],
    ['b', '2'],
  ]);
});

test('a doubled comma in an implied value, and three commas in a row', () => {
  assert.deepEqual(parseQemuOptions('a,,b,x=1', 'guest'), [
    ['guest', 'a,b'],
    ['x', '1'],
  ]);
  assert.deepEqual(parseQemuOptions('guest=a,,,x=1', 'guest'), [
    ['guest', 'a,'],
    ['x', '1'],
  ]);
});

test('optionValue takes the last value given', () => {
  assert.equal(optionValue([['a', '1'], ['a', '2']], 'a'), '2');
  assert.equal(optionValue([], 'a'), '');
});

test('QEMU sizes: suffixes in any case, fractions, bare numbers in the given unit', () => {
  assert.equal(parseQemuSize('512', MiB), 512 * MiB);
  assert.equal(parseQemuSize('512M', MiB), 512 * MiB);
  assert.equal(parseQemuSize('2G', MiB), 2 * 2 ** 30);
  assert.equal(parseQemuSize('2g', MiB), 2 * 2 ** 30);
  assert.equal(parseQemuSize('1024k', MiB), MiB);
  assert.equal(parseQemuSize('1024K', MiB), MiB);
  assert.equal(parseQemuSize('1T', MiB), 2 ** 40);
  assert.equal(parseQemuSize('1.5G', MiB), 1.5 * 2 ** 30);
  assert.equal(parseQemuSize('536870912', 1), 536870912);
  assert.equal(parseQemuSize('4096B', MiB), 4096);
  assert.equal(parseQemuSize('', MiB), 0);
  assert.equal(parseQemuSize('lots', MiB), 0);
  assert.equal(parseQemuSize('12X', MiB), 0);
});

test('qemuOptionArgs picks the options we read, with --long spellings, skipping the rest', () => {
  const argv = ['qemu-system-x86_64', '-enable-kvm', '--name', 'x', '-display', 'none', '-m', '1G', '-S', '-uuid'];
  assert.deepEqual(qemuOptionArgs(argv), [
    ['-name', 'x'],
    ['-m', '1G'],
  ]); // a trailing option without a value is ignored
});
