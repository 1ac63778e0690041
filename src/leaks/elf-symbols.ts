// Function symbols of an ELF64 little-endian file (.symtab when present, else
// .dynsym), with the FILE offset of each: uprobes are placed at file offsets, and
// bpftool, tracefs and the kernel's messages report them so. Pure over the bytes.
//   e_shoff 0x28, e_shentsize 0x3a, e_shnum 0x3c; section header: sh_type +4,
//   sh_offset +0x18, sh_size +0x20, sh_link +0x28, sh_entsize +0x38; program header
//   (e_phoff 0x20, e_phentsize 0x36, e_phnum 0x38): p_type +0, p_offset +8,
//   p_vaddr +0x10, p_filesz +0x20; Elf64_Sym: st_name +0, st_info +4, st_value +8,
//   st_size +0x10 (24 bytes).

export interface ElfFunction {
  name: string;
  /** File offset of its first byte. */
  offset: number;
  size: number;
}

const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const PT_LOAD = 1;

export function elfFunctions(elf: Buffer): ElfFunction[] {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) return [];
  const num = (at: number): number => Number(elf.readBigUInt64LE(at));
  const phoff = num(0x20);
  const shoff = num(0x28);
  const segments: { offset: number; vaddr: number; size: number }[] = [];
  for (let i = 0; i < elf.readUInt16LE(0x38); i++) {
    const ph = phoff + i * elf.readUInt16LE(0x36);
    if (ph + 0x28 > elf.length) break;
    if (elf.readUInt32LE(ph) === PT_LOAD) segments.push({ offset: num(ph + 8), vaddr: num(ph + 0x10), size: num(ph + 0x20) });
  }
  const sections = Array.from({ length: elf.readUInt16LE(0x3c) }, (_, i) => shoff + i * elf.readUInt16LE(0x3a))
    .filter((sh) => sh + 0x40 <= elf.length)
    .map((sh) => ({ type: elf.readUInt32LE(sh + 4), offset: num(sh + 0x18), size: num(sh + 0x20), link: elf.readUInt32LE(sh + 0x28), entsize: num(sh + 0x38) }));
  const table = sections.find((s) => s.type === SHT_SYMTAB) ?? sections.find((s) => s.type === SHT_DYNSYM);
  const strings = table ? sections[table.link] : undefined;
  if (!table || !strings || table.entsize < 24) return [];
  const out: ElfFunction[] = [];
  for (let at = table.offset; at + 24 <= Math.min(elf.length, table.offset + table.size); at += table.entsize) {
    const type = elf[at + 4]! & 0xf;
    const vaddr = num(at + 8);
    if ((type !== STT_FUNC && type !== STT_GNU_IFUNC) || vaddr === 0) continue;
    const segment = segments.find((s) => vaddr >= s.vaddr && vaddr < s.vaddr + s.size);
    if (!segment) continue;
    const nameAt = strings.offset + elf.readUInt32LE(at);
    const end = elf.indexOf(0, nameAt);
    out.push({ name: elf.toString('latin1', nameAt, end < 0 ? nameAt : end), offset: vaddr - segment.vaddr + segment.offset, size: num(at + 0x10) });
  }
  return out;
}

/** Names of the function starting at `offset`, the public ones (no leading _) first. */
export function namesAt(functions: readonly ElfFunction[], offset: number): string[] {
  const names = [...new Set(functions.filter((f) => f.offset === offset).map((f) => f.name))];
  return names.sort((a, b) => Number(a.startsWith('_')) - Number(b.startsWith('_')) || a.length - b.length);
}
