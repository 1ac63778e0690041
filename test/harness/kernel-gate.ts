// Kernel tests need root, bpftrace and tracefs. On a developer machine without them
// the tests are skipped with the reason printed; in CI (CI=true or
// FAULTLINE_REQUIRE_KERNEL=1) a missing prerequisite fails the test instead, so CI
// never skips the kernel tests.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The bpftrace the kernel tests run: FAULTLINE_BPFTRACE (a binary, or a chroot's
 * wrapper from test/versions/bpftrace-chroot.sh: the versions lane runs the kernel
 * tests with Debian 13's 0.23 and sid's 0.27), else the host's `bpftrace`. */
export function testBpftrace(): string {
  return process.env.FAULTLINE_BPFTRACE || 'bpftrace';
}

export function kernelTestsRequired(): boolean {
  return process.env.CI === 'true' || process.env.FAULTLINE_REQUIRE_KERNEL === '1';
}

function missingPrerequisite(needs: { qemu?: boolean } = {}): string | null {
  if (process.getuid?.() !== 0) return 'kernel tests need root (run as root or with sudo)';
  try {
    execFileSync(testBpftrace(), ['--version'], { stdio: 'ignore' });
  } catch {
    return `bpftrace is not installed (apt-get install bpftrace)${process.env.FAULTLINE_BPFTRACE ? `: FAULTLINE_BPFTRACE=${process.env.FAULTLINE_BPFTRACE} does not run` : ''}`;
  }
  if (!existsSync('/sys/kernel/tracing/events') && !existsSync('/sys/kernel/debug/tracing/events')) {
    return 'tracefs is not mounted (mount -t tracefs tracefs /sys/kernel/tracing)';
  }
  if (needs.qemu) {
    try {
      execFileSync('qemu-system-x86_64', ['--version'], { stdio: 'ignore' });
    } catch {
      return 'qemu-system-x86_64 is not installed (apt-get install qemu-system-x86 busybox-static)';
    }
  }
  return null;
}

/** For node:test's `skip` option: false to run, or the reason to skip. Throws in CI. */
export function kernelGate(needs: { qemu?: boolean } = {}): false | string {
  const missing = missingPrerequisite(needs);
  if (missing === null) return false;
  if (kernelTestsRequired()) throw new Error(`kernel test prerequisite missing in CI: ${missing}`);
  return `SKIPPED (kernel test): ${missing}`;
}
