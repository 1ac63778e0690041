// Which tracepoints this kernel has, and their fields: tracefs's
// events/GROUP/NAME/format, read for the points the probe files name. IO only; the
// decisions are in probe-program.ts.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { KERNEL_BTF, type TracepointCatalog } from './probe-program.js';

/** Field names of a tracepoint's format file (common_* included). */
export function parseFormatFields(format: string): Set<string> {
  const fields = new Set<string>();
  for (const match of format.matchAll(/^\s*field:([^;]*);/gm)) {
    // "unsigned long address", "__data_loc char[] comm", "char comm[16]"
    const name = match[1]!.trim().replace(/\[[^\]]*\]\s*$/, '').split(/[\s*]+/).at(-1);
    if (name) fields.add(name);
  }
  return fields;
}

/** The catalog for these tracepoints (`group:name`); one missing is simply absent.
 * KERNEL_BTF is in it when btfPath exists. */
export async function readTracepointCatalog(tracefsPath: string, tracepoints: Iterable<string>, btfPath = '/sys/kernel/btf/vmlinux'): Promise<TracepointCatalog> {
  const catalog = new Map<string, ReadonlySet<string>>();
  if (existsSync(btfPath)) catalog.set(KERNEL_BTF, new Set());
  await Promise.all(
    [...new Set(tracepoints)].map(async (tp) => {
      const [group, name] = tp.split(':');
      try {
        catalog.set(tp, parseFormatFields(await readFile(`${tracefsPath}/events/${group}/${name}/format`, 'utf8')));
      } catch {
        // not on this kernel (or its module is not loaded)
      }
    }),
  );
  return catalog;
}
