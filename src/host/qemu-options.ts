// QEMU's option syntax, as used inside one command-line argument
// (`-name guest=foo,debug-threads=on`, `-m size=2G,slots=4`). Pure.
//
// Rules (qemu util/qemu-option.c, get_opt_name_value / get_opt_value):
// - elements are separated by single commas; a doubled comma is a literal comma
//   inside a value: libvirt's domain `foo=1,bar=2` arrives as
//   `guest=foo=1,,bar=2,debug-threads=on`.
// - the first element may omit its key (`-name vm100,debug-threads=on`,
//   `-m 512`, `-object memory-backend-ram,id=..`): it then belongs to the option's
//   implied key (guest, size, qom-type, type).
// - a later element without '=' is a flag set to 'on'.

/** Undoes QEMU's comma doubling in one option value: `foo=1,,bar=2` -> `foo=1,bar=2`. */
export function unescapeQemuOption(value: string): string {
  return value.replaceAll(',,', ',');
}

/** Reads a value from `start` up to the next single comma; returns it and the index after that comma. */
function readValue(text: string, start: number): [string, number] {
  let value = '';
  let i = start;
  while (i < text.length) {
    if (text[i] === ',') {
      if (text[i + 1] !== ',') break;
      value += ',';
      i += 2;
    } else {
      value += text[i];
      i += 1;
    }
  }
  return [value, i + 1];
}

/** Key/value pairs in order, keys as written. */
export function parseQemuOptions(text: string, impliedKey = ''): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  let i = 0;
  while (i < text.length) {
    let nameEnd = i;
    while (nameEnd < text.length && text[nameEnd] !== '=' && text[nameEnd] !== ',') nameEnd++;
    if (text[nameEnd] === '=') {
      const [value, next] = readValue(text, nameEnd + 1);
      pairs.push([text.slice(i, nameEnd), value]);
      i = next;
    } else if (pairs.length === 0 && impliedKey !== '') {
      const [value, next] = readValue(text, i);
      pairs.push([impliedKey, value]);
      i = next;
    } else {
      if (nameEnd > i) pairs.push([text.slice(i, nameEnd), 'on']);
      i = nameEnd + 1;
    }
  }
  return pairs;
}

/** The last value given for `key`, or ''. */
export function optionValue(pairs: Array<[string, string]>, key: string): string {
  let found = '';
  for (const [k, v] of pairs) if (k === key) found = v;
  return found;
}

const UNIT_BYTES: Record<string, number> = {
  B: 1,
  K: 2 ** 10,
  M: 2 ** 20,
  G: 2 ** 30,
  T: 2 ** 40,
  P: 2 ** 50,
  E: 2 ** 60,
};

/**
 * A QEMU size (qemu_strtosz): a number with an optional B/K/M/G/T/P/E suffix, any
 * case, fractions allowed (`1.5G`). A bare number is in `bareUnitBytes`: MiB for
 * `-m`, bytes for object properties. 0 when it does not parse.
 */
export function parseQemuSize(text: string, bareUnitBytes: number): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([bkmgtpe])?\s*$/i.exec(text);
  if (!match?.[1]) return 0;
  const unit = match[2] ? UNIT_BYTES[match[2].toUpperCase()] ?? 0 : bareUnitBytes;
  return Math.round(Number(match[1]) * unit);
}

/** Options whose value we read; every other argument of argv is skipped on its own. */
const VALUE_OPTIONS = new Set(['-name', '-uuid', '-id', '-m', '-object', '-machine', '-M', '-smbios', '-numa']);

/** The options we read, in order, as [option, value]; `--opt` is the same as `-opt`. */
export function qemuOptionArgs(argv: string[]): Array<[string, string]> {
  const options: Array<[string, string]> = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const option = arg.startsWith('--') ? arg.slice(1) : arg;
    const value = argv[i + 1];
    if (VALUE_OPTIONS.has(option) && value !== undefined) {
      options.push([option, value]);
      i++;
    }
  }
  return options;
}
