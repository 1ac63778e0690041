// cgroup v1 memory cgroups for tests: removal waits for the kernel to let go of the
// last (killed) task, so a test never leaves its cgroup behind.
import { existsSync, rmdirSync } from 'node:fs';

export async function removeCgroup(path: string): Promise<void> {
  for (let i = 0; i < 50 && existsSync(path); i++) {
    try {
      rmdirSync(path);
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
