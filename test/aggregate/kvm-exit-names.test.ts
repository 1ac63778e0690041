// Exit reasons by the kernel's names: SVM exit codes (arch/x86/include/uapi/asm/svm.h)
// and VMX basic exit reasons (vmx.h).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitReasonName, nestedPageFaultReason } from '../../src/aggregate/kvm-exit-names.js';
import { virtIsaFromCpuinfo } from '../../src/host/virt-isa.js';

test('SVM codes read as the kernel names them: 1024 is npf', () => {
  const cases: [number, string][] = [
    [0x400, 'npf'], [0x07b, 'io'], [0x07c, 'msr'], [0x072, 'cpuid'], [0x060, 'interrupt'], [0x078, 'hlt'],
    [0x064, 'vintr'], [0x04e, 'PF excp'], [0x081, 'hypercall'], [0x0a6, 'idle-halt'], [0xffffffff, 'invalid_guest_state'],
  ];
  for (const [code, name] of cases) assert.equal(exitReasonName('svm', code), name, `0x${code.toString(16)}`);
  assert.equal(nestedPageFaultReason('svm'), 1024);
});

test('VMX basic exit reasons, with FAILED_VMENTRY and the high bits masked', () => {
  assert.equal(exitReasonName('vmx', 48), 'EPT_VIOLATION');
  assert.equal(exitReasonName('vmx', 30), 'IO_INSTRUCTION');
  assert.equal(exitReasonName('vmx', 12), 'HLT');
  assert.equal(exitReasonName('vmx', 0x80000021), 'FAILED_VMENTRY INVALID_STATE');
  assert.equal(nestedPageFaultReason('vmx'), 48);
});

test('unknown codes and hosts without hardware virtualization keep the number', () => {
  assert.equal(exitReasonName('svm', 0x3ff), 'exit 1023');
  assert.equal(exitReasonName('vmx', 99), 'exit 99');
  assert.equal(exitReasonName('', 1024), 'exit 1024');
});

test('the vendor comes from the cpu flags', () => {
  assert.equal(virtIsaFromCpuinfo('vendor_id\t: AuthenticAMD\nflags\t\t: fpu vme svm npt lbrv\n'), 'svm');
  assert.equal(virtIsaFromCpuinfo('flags\t\t: fpu vmx ept\n'), 'vmx');
  assert.equal(virtIsaFromCpuinfo('flags\t\t: fpu sse\n'), '');
});
