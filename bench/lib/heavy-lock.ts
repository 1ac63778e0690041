// The machine-wide lock that everything heavy (QEMU, browsers, benchmark workloads)
// takes, so two heavy jobs never share the 2 cores: `flock LOCK` holding a child
// that lives until release().
import { spawn } from 'node:child_process';

export const HEAVY_LOCK = '/tmp/faultline-heavy.lock';

export interface HeldLock {
  release(): Promise<void>;
}

/** Resolves once the lock is ours (waits while someone else holds it). */
export function takeHeavyLock(path = HEAVY_LOCK): Promise<HeldLock> {
  const child = spawn('flock', [path, 'sh', '-c', 'echo locked; exec cat'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', () =>
      resolve({
        async release() {
          child.stdin!.end(); // cat exits, flock exits, the lock is free
          const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        },
      }),
    );
  });
}
