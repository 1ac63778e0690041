// What the lab's L1 needs from this host before it boots, built here because L1 sees
// the host's root read-only: the test guest (kernel + initramfs), the nothp exec
// helper, the workload binaries, and faultline's compiled CLI (dist/).
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { ensureGuestAssets } from '../harness/qemu-guest.js';
import { compiledProgram } from '../harness/c-program.js';

const root = new URL('../../', import.meta.url).pathname;
const assets = await ensureGuestAssets();
if (!assets.nothpPath) throw new Error(`the nothp helper did not build: ${assets.nothpError}`);
for (const name of ['alloc-forever']) compiledProgram(name);
// L1 runs the compiled CLI: build it from this checkout, so it is never stale
execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
if (!existsSync(`${root}dist/cli/main.js`)) throw new Error('npm run build made no dist/cli/main.js');
console.log(`lab: guest ${assets.kernelPath}, nothp, workloads and dist ready`);
