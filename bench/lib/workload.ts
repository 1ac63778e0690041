// The page-fault workload (bench/fault-loop.c), compiled once per source version
// into the temp dir, and run to completion.
import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('../fault-loop.c', import.meta.url));

export interface WorkloadSize {
  anonMiB: number;
  rounds: number;
  kernelMiB: number;
  fileMiB: number;
}

export interface WorkloadResult {
  rounds: number;
  wallNs: number;
  cpuNs: number;
  minorFaults: number;
  majorFaults: number;
}

export function compiledWorkload(): string {
  const hash = createHash('sha256').update(readFileSync(SOURCE)).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'faultline-bench');
  const binary = join(dir, `fault-loop-${hash}`);
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('cc', ['-O1', '-o', binary, SOURCE], { stdio: 'inherit' });
  }
  return binary;
}

/** Runs the workload once; the file it faults on lives on a disk filesystem
 * (/var/tmp), since tmpfs faults never reach filemap_fault. */
export function runWorkload(size: WorkloadSize): Promise<WorkloadResult> {
  const filePath = `/var/tmp/faultline-bench-${process.pid}.dat`;
  const args = [size.anonMiB, size.rounds, size.kernelMiB, filePath, size.fileMiB].map(String);
  const child = spawn(compiledWorkload(), args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`fault-loop exited with ${code}`));
      else resolve(JSON.parse(out) as WorkloadResult);
    });
  });
}
