// /proc/PID/maps, which mapping is guest RAM, and what an address falls in. Pure.
//
// Line format (proc(5)):
//   7f3c40000000-7f3c60000000 rw-p 00000000 00:00 0             <- anonymous
//   55d0c8a00000-55d0c8a21000 rw-p 00000000 00:00 0    [heap]
//   7f3c6a000000-7f3c6a1c4000 r-xp 00000000 fd:01 1234 /usr/lib/x86_64-linux-gnu/libc.so.6
// Addresses are hex. User addresses stay below 2^47 (2^56 with 5-level paging) and
// are page aligned, so plain JS numbers hold them exactly; even [vsyscall] at
// 0xffffffffff600000 is exact, being a multiple of 4096 below 2^64.
//
// Guest RAM: QEMU allocates a guest's boot RAM as one private anonymous mapping
// (qemu_ram_mmap) of exactly the guest's memory size, with a guard page after it.
// We take the mapping whose size is EXACTLY that, never "the largest mapping":
// under TCG the translated-code cache is an anonymous 1 GiB rwxp mapping that is
// bigger than a small guest's RAM.
import type { Mapping } from '../model/host.js';
import type { RegionKind } from '../model/snapshot.js';

const LINE = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S+)\s+([0-9a-f]+)\s+\S+\s+(\d+)\s*(.*)$/;

export function parseMaps(text: string): Mapping[] {
  const mappings: Mapping[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    mappings.push({
      start: parseInt(m[1] ?? '', 16),
      end: parseInt(m[2] ?? '', 16),
      perms: m[3] ?? '',
      offset: parseInt(m[4] ?? '', 16),
      inode: Number(m[5]),
      path: (m[6] ?? '').trimEnd(),
    });
  }
  return mappings;
}

const isShared = (m: Mapping): boolean => m.perms === 'rw-s';

/**
 * The guest-RAM mapping of a VM with `memoryBytes` of memory: the first anonymous
 * `rw-p` mapping (path '') of exactly that size. When there is none, the first
 * `rw-s` mapping of exactly that size: guest RAM shared with another process
 * (memory-backend-memfd for vhost-user/virtiofs shows as `/memfd:... (deleted)`,
 * memory-backend-file on hugetlbfs as a file, share=on RAM as `/dev/zero (deleted)`);
 * else the first private (`rw-p`) file mapping of that size (memory-backend-file,
 * share=off, on hugetlbfs: a deleted file in the hugetlbfs mount).
 * Several exact matches happen only for guests with several memory backends of the
 * same size (one per NUMA node); we take the first, lowest address. null when
 * memoryBytes is 0 or nothing matches exactly.
 */
export function findGuestRam(mappings: Mapping[], memoryBytes: number): Mapping | null {
  if (memoryBytes <= 0) return null;
  const sized = mappings.filter((m) => m.end - m.start === memoryBytes);
  return sized.find((m) => m.path === '' && m.perms === 'rw-p') ?? sized.find(isShared)
    // a private file mapping: memory-backend-file with share=off, e.g. on hugetlbfs
    // (`/dev/hugepages/qemu_back_mem.pc.ram.XXXXXX (deleted)`: libvirt's hugepage backing)
    // (QEMU names the file qemu_back_mem.ID.XXXXXX in the mem-path directory and unlinks it)
    ?? sized.find((m) => m.perms === 'rw-p' && /\/qemu_back_mem\.[^/]*$|\/qemu_back_mem\.[^/]* \(deleted\)$/.test(m.path))
    ?? null;
}

export interface AddressClass {
  region: RegionKind;
  /** File path, [heap]/[stack]/[vdso]..., or '' for anonymous memory, guest RAM and unmapped. */
  mapping: string;
  /** Start of the mapping the address is in; 0 when unmapped. */
  mappingStart: number;
}

/** The mapping containing `address`, by binary search over mappings sorted by start. */
export function mappingAt(mappings: Mapping[], address: number): Mapping | null {
  let low = 0;
  let high = mappings.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const m = mappings[mid]!;
    if (address < m.start) high = mid - 1;
    else if (address >= m.end) low = mid + 1;
    else return m;
  }
  return null;
}

export function classifyAddress(mappings: Mapping[], address: number, guestRam: Mapping | null): AddressClass {
  if (guestRam && address >= guestRam.start && address < guestRam.end) {
    return { region: 'guest-ram', mapping: '', mappingStart: guestRam.start };
  }
  const m = mappingAt(mappings, address);
  if (!m) return { region: 'unmapped', mapping: '', mappingStart: 0 };
  return { region: regionOf(m.path), mapping: m.path, mappingStart: m.start };
}

function regionOf(path: string): RegionKind {
  if (path === '') return 'anon';
  if (path === '[heap]') return 'heap';
  if (path === '[stack]' || path.startsWith('[stack:')) return 'stack'; // [stack:TID] before 4.5
  if (path.startsWith('/')) return 'file';
  if (path.startsWith('[anon:') || path.startsWith('[anon_shmem:')) return 'anon'; // prctl-named (5.17+)
  return 'other'; // [vdso], [vvar], [vsyscall], anon_inode:kvm-vcpu:0 ...
}
