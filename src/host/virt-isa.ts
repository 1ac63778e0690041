// Which hardware virtualization this host's CPU has (svm: AMD, vmx: Intel), from
// /proc/cpuinfo's flags: it says which table names KVM's exit reasons.
import { readFile } from 'node:fs/promises';
import type { VirtIsa } from '../model/host.js';

/** svm / vmx from /proc/cpuinfo's flags ('' when neither: no hardware virtualization). */
export function virtIsaFromCpuinfo(cpuinfo: string): VirtIsa {
  const flags = cpuinfo.match(/^flags\s*:(.*)$/m)?.[1]?.split(/\s+/) ?? [];
  return flags.includes('svm') ? 'svm' : flags.includes('vmx') ? 'vmx' : '';
}

export async function readVirtIsa(procRoot = '/proc'): Promise<VirtIsa> {
  try {
    return virtIsaFromCpuinfo(await readFile(`${procRoot}/cpuinfo`, 'utf8'));
  } catch {
    return '';
  }
}
