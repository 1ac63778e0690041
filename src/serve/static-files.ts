// The bundled UI (dist/web, built by web/build.mjs), read once at start and served
// from an explicit list: no path from a request ever reaches the file system.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
};

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>faultline</title>
<p>The faultline UI is not built. Run <code>npm run build</code> in the faultline folder, then reload.</p>`;

/** url path ('/', '/app.js') -> file. */
export function loadStaticFiles(dir = WEB_DIR): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (existsSync(dir)) {
    for (const name of readdirSync(dir)) {
      const type = TYPES[extname(name)];
      if (type && /^[\w.-]+$/.test(name)) files.set(`/${name}`, { body: readFileSync(join(dir, name)), contentType: type });
    }
  }
  const index = files.get('/index.html') ?? { body: Buffer.from(NOT_BUILT), contentType: TYPES['.html']! };
  files.set('/', index);
  return files;
}
