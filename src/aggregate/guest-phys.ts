// Guest-physical addresses <-> offsets in QEMU's guest-RAM mapping, for x86 PC
// machines. Pure.
//
// QEMU puts the first part of guest RAM below the 4 GiB PCI hole and the rest above
// 4 GiB (hw/i386/pc_piix.c, pc_q35.c): i440fx ("pc") keeps all RAM low below 3.5 GiB,
// else 3 GiB low (gigabyte_align); q35 keeps all RAM low below 2.75 GiB, else 2 GiB low.
// Other machines (microvm, non-x86) are treated as one flat block: exact for guest RAM
// below 2 GiB, which is where such guests start anyway.

const GiB = 1024 ** 3;
const FOUR_GIB = 4 * GiB;

export type MachineKind = 'pc' | 'q35' | 'other';

/** Each argv's machine, found once: a process's argv is read once and the same array
 * comes with every snapshot (a libvirt QEMU's runs to hundreds of words). */
const machineOfArgv = new WeakMap<readonly string[], MachineKind>();

export function machineKindFromArgv(argv: readonly string[]): MachineKind {
  let machine = machineOfArgv.get(argv);
  if (machine === undefined) machineOfArgv.set(argv, (machine = scanMachineKind(argv)));
  return machine;
}

function scanMachineKind(argv: readonly string[]): MachineKind {
  for (let i = 0; i < argv.length - 1; i++) {
    if (argv[i] !== '-machine' && argv[i] !== '-M') continue;
    const value = argv[i + 1] ?? '';
    const type = value.split(',').find((p) => !p.includes('=')) ?? value.match(/type=([^,]+)/)?.[1] ?? '';
    if (/q35/.test(type)) return 'q35';
    if (/^pc($|-i440fx|-\d)/.test(type)) return 'pc';
    return 'other';
  }
  return 'pc'; // qemu-system-x86_64's default machine
}

/** Bytes of guest RAM mapped below 4 GiB. */
export function lowMemoryBytes(machine: MachineKind, ramBytes: number): number {
  if (machine === 'pc') return ramBytes >= 0xe0000000 ? 3 * GiB : ramBytes;
  if (machine === 'q35') return ramBytes >= 0xb0000000 ? 2 * GiB : ramBytes;
  return ramBytes;
}

export function guestPhysOfRamOffset(machine: MachineKind, ramBytes: number, offset: number): number {
  const low = lowMemoryBytes(machine, ramBytes);
  return offset < low ? offset : FOUR_GIB + (offset - low);
}

/** -1 when the address is in no RAM (the PCI hole, beyond the end). */
export function ramOffsetOfGuestPhys(machine: MachineKind, ramBytes: number, gpa: number): number {
  const low = lowMemoryBytes(machine, ramBytes);
  if (gpa < low) return gpa;
  if (gpa >= FOUR_GIB && gpa - FOUR_GIB < ramBytes - low) return low + (gpa - FOUR_GIB);
  return -1;
}
