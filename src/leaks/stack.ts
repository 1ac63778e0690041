// One user stack as bpftrace prints ustack(perf): a frame per line,
// "\t<hex address> <symbol>+<offset> (<module>)", or "\t<hex address> [unknown]
// (<module>)" when the symbol is not known. Pure.

export interface Frame {
  address: number;
  /** Function name, '' when unknown. */
  symbol: string;
  offset: number;
  /** Path of the binary or library, '' when unknown. */
  module: string;
}

const FRAME = /^\s*([0-9a-f]+)\s+(.*?)(?:\+(\d+))?\s+\(([^)]*)\)\s*$/;

export function parseStack(text: string): Frame[] {
  const frames: Frame[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const m = FRAME.exec(line);
    if (!m) {
      frames.push({ address: 0, symbol: line.trim(), offset: 0, module: '' });
      continue;
    }
    const symbol = m[2] === '[unknown]' ? '' : (m[2] ?? '');
    frames.push({ address: parseInt(m[1] ?? '0', 16), symbol, offset: Number(m[3] ?? 0), module: m[4] === '[unknown]' ? '' : (m[4] ?? '') });
  }
  return frames;
}

/** "keep_session+14 (leak-callsites)": the symbol, or the address when unknown. */
export function frameText(frame: Frame): string {
  const module = frame.module.split('/').pop() ?? '';
  const where = frame.symbol ? `${frame.symbol}+${frame.offset}` : `0x${frame.address.toString(16)}`;
  return module ? `${where} (${module})` : where;
}
