// What a host process is called in its row: what it runs, not its comm alone. Three
// `node` processes (a leaking script, `faultline live`, `faultline record`) are three
// names, and faultline's own processes say so. Pure: argv comes from
// /proc/PID/cmdline (ProcessDetail.argv).
//
//   argv                                              name
//   node /srv/app/leaker.js --port 80                 node leaker.js
//   python3 -u manage.py runserver                    python3 manage.py
//   java -Xmx2g -jar /opt/kafka.jar                   java kafka.jar
//   /bin/bash ./backup.sh                             bash backup.sh
//   node bin/faultline.js record -o x.flt             faultline record
//   node --import tsx src/cli/main.ts live            faultline live
//   bpftrace -f json -e '... faultline_ready growth'  bpftrace (faultline growth)
//   /usr/sbin/sshd -D                                 sshd (its comm)
import { basename } from 'node:path';

const INTERPRETER = /^(node|nodejs|deno|bun|python[0-9.]*|pypy[0-9.]*|perl[0-9.]*|ruby[0-9.]*|php[0-9.]*|bash|sh|dash|zsh|ksh|lua[0-9.]*|java|Rscript|tclsh[0-9.]*)$/;
/** Interpreter options that take the next argument as their value. */
const TAKES_VALUE = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader', '-m', '-W', '-X', '-c', '-e', '-cp', '-classpath', '--class-path', '-I']);
const FAULTLINE_COMMANDS = new Set(['live', 'record', 'replay', 'report', 'export', 'doctor', 'leaks', 'diagnose']);
const FAULTLINE_ENTRY = /(^|\/)(faultline(\.js)?|(src|dist)\/cli\/main\.(ts|js))$/;

/** "faultline live" when argv runs faultline; null otherwise. */
export function faultlineCommand(argv: readonly string[]): string | null {
  const entry = argv.findIndex((a) => FAULTLINE_ENTRY.test(a));
  if (entry < 0) return null;
  const command = argv.slice(entry + 1).find((a) => !a.startsWith('-'));
  return command && FAULTLINE_COMMANDS.has(command) ? `faultline ${command}` : 'faultline';
}

/** The script or jar an interpreter runs: its first argument that is not an option
 * (nor an option's value); null when it runs code given inline (-c, -e) or nothing. */
function scriptOf(argv: readonly string[]): string | null {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-jar') return argv[i + 1] ? basename(argv[i + 1]!) : null;
    if (a === '-c' || a === '-e' || a === '--eval') return null;
    if (a === '-m' && argv[i + 1]) return argv[i + 1]!;
    if (TAKES_VALUE.has(a)) {
      i += 1;
      continue;
    }
    if (a.startsWith('-')) continue;
    return basename(a);
  }
  return null;
}

export function hostProcessName(comm: string, argv: readonly string[]): string {
  if (argv.length === 0) return comm;
  const program = basename(argv[0]!);
  const faultline = faultlineCommand(argv);
  if (faultline) return faultline;
  if (program === 'bpftrace' || comm === 'bpftrace') {
    const group = argv.join(' ').match(/faultline_ready (\w+)/)?.[1];
    return group ? `bpftrace (faultline ${group})` : comm;
  }
  if (INTERPRETER.test(program)) {
    const script = scriptOf(argv);
    return script ? `${program} ${script}` : program;
  }
  // comm is the executable's name cut to 15 characters: the whole one reads better
  return program.startsWith(comm) && program.length > comm.length ? program : comm;
}
