// How much memory a QEMU guest has, from its command line. Pure.
//
//   -m 512 | -m 512M | -m 2G | -m size=2G,slots=4,maxmem=8G   boot RAM (bare number = MiB)
//   -machine ...,memory-backend=pc.ram                         boot RAM is that backend object
//   -numa node,nodeid=0,memdev=ram-node0                       each NUMA node is a backend object
//   -object memory-backend-{ram,file,memfd},id=ID,size=SIZE   (bare size = bytes)
//   -object {"qom-type":"memory-backend-ram","id":"pc.ram","size":536870912}   libvirt >= 7.x JSON form
// When the machine or the NUMA nodes name backends, guest memory is the sum of those
// backends' sizes; otherwise it is -m. Backends nobody references as RAM (ivshmem,
// pc-dimm hotplug) do not count. 0 when unknown: QEMU's default (128 MiB on most
// machines) is not assumed.
import { optionValue, parseQemuOptions, parseQemuSize, qemuOptionArgs } from './qemu-options.js';

const MiB = 2 ** 20;
const RAM_BACKEND_TYPES = new Set(['memory-backend-ram', 'memory-backend-file', 'memory-backend-memfd']);

interface MemoryBackend {
  id: string;
  sizeBytes: number;
}

/** One `-object` value, key=value or JSON; null when it is not a RAM backend. */
export function parseMemoryBackend(value: string): MemoryBackend | null {
  let type = '';
  let id = '';
  let sizeBytes = 0;
  if (value.trimStart().startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      return null;
    }
    if (typeof json !== 'object' || json === null) return null;
    const fields = json as Record<string, unknown>;
    type = String(fields['qom-type'] ?? '');
    id = String(fields.id ?? '');
    const size = fields.size;
    sizeBytes = typeof size === 'number' ? size : parseQemuSize(String(size ?? ''), 1);
  } else {
    const pairs = parseQemuOptions(value, 'qom-type');
    type = optionValue(pairs, 'qom-type');
    id = optionValue(pairs, 'id');
    sizeBytes = parseQemuSize(optionValue(pairs, 'size'), 1);
  }
  return RAM_BACKEND_TYPES.has(type) ? { id, sizeBytes } : null;
}

/** `-m` alone: `-m 512` (MiB), `-m 2G`, `-m size=524288k,slots=4,maxmem=8G`; 0 when absent. */
export function memoryOptionBytes(value: string): number {
  const size = optionValue(parseQemuOptions(value, 'size'), 'size');
  // QEMU's "legacy suffix-less format": a bare number is MiB (softmmu/vl.c parse_memory_options)
  return parseQemuSize(size, MiB);
}

export function guestMemoryBytes(argv: string[]): number {
  let memoryOption = 0;
  const backends = new Map<string, number>();
  const ramBackendIds = new Set<string>();
  for (const [option, value] of qemuOptionArgs(argv)) {
    if (option === '-m') {
      memoryOption = memoryOptionBytes(value);
    } else if (option === '-object') {
      const backend = parseMemoryBackend(value);
      if (backend) backends.set(backend.id, backend.sizeBytes);
    } else if (option === '-machine' || option === '-M') {
      const id = optionValue(parseQemuOptions(value, 'type'), 'memory-backend');
      if (id) ramBackendIds.add(id);
    } else if (option === '-numa') {
      const pairs = parseQemuOptions(value, 'type');
      const id = optionValue(pairs, 'memdev');
      if (optionValue(pairs, 'type') === 'node' && id) ramBackendIds.add(id);
    }
  }
  if (ramBackendIds.size === 0) return memoryOption;
  let sumBytes = 0;
  for (const id of ramBackendIds) {
    const size = backends.get(id);
    if (size === undefined) return memoryOption; // referenced but not parsed: trust -m
    sumBytes += size;
  }
  return sumBytes;
}
