// Compiles a test workload from test/fixtures/programs/NAME.c into test/.tmp/bin
// (once per source version) and returns the binary's path. Real tiny executables,
// not mocks, as execa's own tests do.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SOURCES = new URL('../fixtures/programs/', import.meta.url);
const BIN_DIR = fileURLToPath(new URL('../.tmp/bin/', import.meta.url));

export function compiledProgram(name: string): string {
  const source = fileURLToPath(new URL(`${name}.c`, SOURCES));
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 12);
  const binary = `${BIN_DIR}${name}-${hash}`;
  if (!existsSync(binary)) {
    mkdirSync(BIN_DIR, { recursive: true });
    execFileSync('cc', ['-O1', '-o', binary, source], { stdio: 'inherit' });
  }
  return binary;
}
