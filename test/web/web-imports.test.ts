// The UI's rules that a reviewer should not have to re-check by eye (web/README.md):
// web/src imports only what the README allows, and no source puts data into HTML
// (innerHTML and friends). No browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB_SRC = fileURLToPath(new URL('../../web/src/', import.meta.url));
const QUANTITIES = '../../src/format/quantities.js';
const EXIT_WORDS = '../../src/format/exit-words.js';
/** Formatters shared with the CLI, bundled into the UI (checked below). */
const SHARED_FORMATTERS = [QUANTITIES, EXIT_WORDS];

/** Packages and virtual modules web/src may import (web/README.md lists them). */
const ALLOWED_MODULES = new Set([
  'uplot', 'uplot/dist/uPlot.min.css', 'protobufjs/minimal.js', 'virtual:faultline-schema',
  // the formatters for bytes, rates and durations, and for how a process ended,
  // shared with the CLI (checked below)
  ...SHARED_FORMATTERS,
]);
/** Allowed only as `import type`: erased from the bundle. */
const TYPE_ONLY_MODULES = new Set(['../../src/model/snapshot.js']);

interface Import {
  file: string;
  line: number;
  specifier: string;
  typeOnly: boolean;
}

function sources(): string[] {
  return readdirSync(WEB_SRC).filter((f) => f.endsWith('.ts')).sort();
}

function importsOf(file: string): Import[] {
  const text = readFileSync(join(WEB_SRC, file), 'utf8');
  const found: Import[] = [];
  // import x from '...'; import { a, type B } from '...'; import type {...} from '...';
  // import '...'; export ... from '...'; import('...')
  const pattern = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const match of text.matchAll(pattern)) {
    const line = text.slice(0, match.index).split('\n').length;
    found.push({ file, line, specifier: (match[3] ?? match[4])!, typeOnly: Boolean(match[2]) });
  }
  return found;
}

test('web/src imports only uplot, protobufjs/minimal, the generated schema, its own files, the shared formatter and (types only) the model', () => {
  const problems: string[] = [];
  let count = 0;
  for (const file of sources()) {
    for (const imp of importsOf(file)) {
      count += 1;
      const where = `web/src/${imp.file}:${imp.line} imports '${imp.specifier}'`;
      if (ALLOWED_MODULES.has(imp.specifier)) continue;
      if (TYPE_ONLY_MODULES.has(imp.specifier)) {
        if (!imp.typeOnly) problems.push(`${where}: only \`import type\` is allowed from it`);
        continue;
      }
      if (/^\.\/[\w-]+\.(js|css)$/.test(imp.specifier)) {
        const target = imp.specifier.replace(/\.js$/, '.ts');
        if (!existsSync(join(WEB_SRC, target))) problems.push(`${where}: no such file in web/src`);
        continue;
      }
      problems.push(`${where}: not on the allowed list (web/README.md)`);
    }
  }
  assert.ok(count > 20, `found only ${count} imports: is the pattern still right?`);
  assert.deepEqual(problems, []);
});

test('the shared formatters the UI bundles import nothing but model types and use nothing of Node', () => {
  for (const shared of SHARED_FORMATTERS) {
    const file = shared.replace(/\.js$/, '.ts');
    const text = readFileSync(join(WEB_SRC, file), 'utf8');
    assert.deepEqual(importsOf(file).filter((i) => !(i.typeOnly && i.specifier === '../model/snapshot.js')).map((i) => i.specifier), [], file);
    assert.doesNotMatch(text.replace(/\/\/.*$/gm, ''), /\b(process|Buffer|require|__dirname|node:)\b/, file);
  }
});

test('no web source writes HTML from strings (innerHTML, outerHTML, insertAdjacentHTML, document.write)', () => {
  const problems: string[] = [];
  for (const file of sources()) {
    readFileSync(join(WEB_SRC, file), 'utf8').split('\n').forEach((line, i) => {
      const text = line.replace(/\/\/.*$/, ''); // comments may name them
      if (/\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment)\b/.test(text)) problems.push(`web/src/${file}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(problems, []);
});
