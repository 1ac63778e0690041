#!/usr/bin/env node
// Builds the web UI into dist/web: app.js and app.css (esbuild bundle of web/src/main.ts
// with uPlot and its CSS), and index.html (copied). No CDN: the bundle is all the page
// loads, so the UI works offline.
//
// The protobuf schema reaches the browser as data: this script loads
// src/proto/faultline.proto with protobufjs (our own schema, trusted) and hands its JSON
// descriptor (root.toJSON()) to the bundle as the module `virtual:faultline-schema`, so
// the browser never parses .proto text (it uses protobufjs/light).
//
// Before bundling it typechecks web/ (tsc -p web/tsconfig.json: DOM lib, strict).
//
//   node web/build.mjs                    typecheck, then build into dist/web
//   node web/build.mjs --no-typecheck     skip tsc (about 5 s faster)
//   node web/build.mjs --outdir DIR       build somewhere else
// Exits non-zero on a type error or a bundling error.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import protobuf from 'protobufjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB = join(ROOT, 'web');
const require = createRequire(import.meta.url);

/** The files the server reads from dist/web (its allow-list must name the same). */
const WEB_FILES = ['index.html', 'app.js', 'app.css'];

const { values } = parseArgs({
  options: {
    outdir: { type: 'string', default: join(ROOT, 'dist', 'web') },
    'no-typecheck': { type: 'boolean', default: false },
  },
});
const outdir = resolve(values.outdir);

if (!values['no-typecheck']) {
  const tsc = require.resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(WEB, 'tsconfig.json')], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('web/build.mjs: type errors in web/ (tsc -p web/tsconfig.json)');
    process.exit(1);
  }
}

const schemaJson = protobuf.loadSync(join(ROOT, 'src', 'proto', 'faultline.proto')).toJSON();

/** Serves `import schema from 'virtual:faultline-schema'` from the .proto file. */
const schemaPlugin = {
  name: 'faultline-schema',
  setup(build) {
    build.onResolve({ filter: /^virtual:faultline-schema$/ }, () => ({ path: 'faultline-schema', namespace: 'faultline-schema' }));
    build.onLoad({ filter: /.*/, namespace: 'faultline-schema' }, () => ({
      contents: JSON.stringify(schemaJson),
      loader: 'json',
    }));
  },
};

mkdirSync(outdir, { recursive: true });
try {
  await esbuild.build({
    entryPoints: { app: join(WEB, 'src', 'main.ts') },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    legalComments: 'none',
    outdir,
    plugins: [schemaPlugin],
    logLevel: 'warning',
  });
} catch {
  console.error('web/build.mjs: esbuild failed (errors above)');
  process.exit(1);
}
copyFileSync(join(WEB, 'index.html'), join(outdir, 'index.html'));
console.error(`web/build.mjs: built ${WEB_FILES.join(', ')} into ${outdir}`);
