// A real libvirt for kernel tests, of the test's own: Debian's libvirtd started in a
// private mount namespace (unshare -m) where /run/libvirt, /var/lib/libvirt,
// /var/cache/libvirt and /var/log/libvirt are empty tmpfs and /etc/libvirt is a
// directory of the test's (a qemu.conf for a machine without /dev/kvm, cgroup
// delegation or AppArmor profiles for the test's paths: QEMU as root, no security
// driver, no cgroups, no private /dev, no virtlogd). The host's own libvirt, if any,
// is neither seen nor touched, and nothing is left behind: the tmpfs go with the
// namespace. Whatever must see this daemon (virsh, faultline) runs in its namespace
// through `nsenter --mount=/proc/PID/ns/mnt`: inNamespace() gives that prefix.
//
// Measured here (2 shared cores, Debian 12, libvirt 9.0, QEMU 7.2, TCG): the socket is
// up about 1 s after spawn; the first `virsh create` takes about 3.3 s (the daemon
// probes QEMU's capabilities into its empty cache), the guest's "CTL: ready" ~3 s later.
//
// Guests are transient domains (`virsh create`, nothing in /etc/libvirt/qemu) booting
// the test guest (test/harness/guest/: kernel + initramfs, control channel on its
// second serial port, here a unix socket QEMU listens on).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureGuestAssets } from './qemu-guest.js';

const QEMU_CONF = [
  'user = "root"',
  'group = "root"',
  'dynamic_ownership = 0',
  'remember_owner = 0',
  'security_driver = "none"',
  'cgroup_controllers = [ ]',
  'namespaces = [ ]',
  'stdio_handler = "file"',
  '',
].join('\n');

/** Mounts over the daemon's directories inside the new namespace, then becomes libvirtd. */
const START_SCRIPT = `set -e
for d in /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
  if [ -d "$d" ]; then mount -t tmpfs -o mode=755 tmpfs "$d"; fi
done
mount --bind "$1/etc" /etc/libvirt
exec libvirtd`;

export interface LibvirtDaemon {
  /** libvirtd's pid (the unshare'd shell exec'd it). */
  readonly pid: number;
  /** The test's directory: etc/, libvirtd.log, the guests' consoles and sockets. */
  readonly dir: string;
  /** The prefix that runs a command in the daemon's mount namespace, in `cwd`. */
  inNamespace(cwd?: string): string[];
  /** `virsh -c qemu:///system ARGS` against this daemon; resolves to its stdout. */
  virsh(args: string[], timeoutMs?: number): Promise<string>;
  /** A file as the daemon sees it (through /proc/PID/root). */
  readFile(path: string): string | null;
  /** Destroys the domains still running, stops the daemon, removes the directory. */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

const daemons = new Set<{ child: ChildProcess; qemuPids: () => number[] }>();
process.on('exit', () => {
  for (const d of daemons) {
    for (const pid of d.qemuPids()) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    if (d.child.exitCode === null && d.child.signalCode === null) try { d.child.kill('SIGKILL'); } catch { /* gone */ }
  }
});

/** Starts the daemon; resolves once its read-only socket is there. */
export async function startLibvirtd(timeoutMs = 15_000): Promise<LibvirtDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-libvirt-'));
  mkdirSync(join(dir, 'etc', 'qemu'), { recursive: true });
  writeFileSync(join(dir, 'etc', 'qemu.conf'), QEMU_CONF);
  writeFileSync(join(dir, 'etc', 'libvirtd.conf'), `log_outputs = "3:file:${join(dir, 'libvirtd.log')}"\n`);
  // the mount point for the daemon's run directory; made on the host (and removed) when missing
  const madeRunDir = !existsSync('/run/libvirt');
  if (madeRunDir) mkdirSync('/run/libvirt');
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', START_SCRIPT, 'sh', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const pid = child.pid!;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const root = `/proc/${pid}/root`;
  const qemuPids = (): number[] => {
    const runDir = `${root}/run/libvirt/qemu`;
    if (!existsSync(runDir)) return [];
    return readdirSync(runDir).filter((f) => f.endsWith('.pid')).map((f) => Number(readFileSync(join(runDir, f), 'utf8'))).filter((n) => n > 0);
  };
  const entry = { child, qemuPids };
  daemons.add(entry);

  const inNamespace = (cwd = '/'): string[] => ['nsenter', `--mount=/proc/${pid}/ns/mnt`, `--wd=${cwd}`, '--'];
  const virsh = (args: string[], ms = 30_000): Promise<string> => {
    const [command, ...rest] = inNamespace();
    return run(command!, [...rest, 'virsh', '-c', 'qemu:///system', ...args], ms);
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const domains = (await virsh(['list', '--name']).catch(() => '')).split('\n').map((l) => l.trim()).filter(Boolean);
      for (const name of domains) await virsh(['destroy', name]).catch(() => undefined);
      const leftover = qemuPids();
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      for (const p of leftover) try { process.kill(p, 'SIGKILL'); } catch { /* destroyed */ }
    }
    daemons.delete(entry);
    rmSync(dir, { recursive: true, force: true });
    if (madeRunDir) try { rmdirSync('/run/libvirt'); } catch { /* someone else uses it now */ }
  };

  const deadline = Date.now() + timeoutMs;
  while (!existsSync(`${root}/run/libvirt/libvirt-sock-ro`)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`libvirtd did not come up (${child.exitCode !== null ? `exited ${child.exitCode}` : `no socket in ${timeoutMs} ms`}): ${stderr.trim()}`);
    }
    await sleep(50);
  }
  return {
    pid, dir, inNamespace, virsh, stop,
    readFile: (path) => (existsSync(`${root}${path}`) ? readFileSync(`${root}${path}`, 'utf8') : null),
  };
}

export interface LibvirtGuestOptions {
  name: string;
  uuid: string;
  memoryMiB: number;
  /** <memballoon><stats period='N'/>: how often the guest reports its memory; 0 for none. */
  statsPeriodS: number;
  consolePath: string;
  ctlPath: string;
}

/** A transient domain's XML: the test guest under TCG, its console to a file, its
 * control channel on a unix socket, a virtio balloon that deflates on guest OOM. */
export async function libvirtGuestXml(o: LibvirtGuestOptions): Promise<string> {
  const assets = await ensureGuestAssets();
  const stats = o.statsPeriodS > 0 ? `<stats period='${o.statsPeriodS}'/>` : '';
  return `<domain type='qemu'>
  <name>${o.name}</name>
  <uuid>${o.uuid}</uuid>
  <memory unit='MiB'>${o.memoryMiB}</memory>
  <currentMemory unit='MiB'>${o.memoryMiB}</currentMemory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${assets.kernelPath}</kernel>
    <initrd>${assets.initrdPath}</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet nokaslr hog_limit=0</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='file'><source path='${o.consolePath}'/><target port='0'/></serial>
    <serial type='unix'><source mode='bind' path='${o.ctlPath}'/><target port='1'/></serial>
    <memballoon model='virtio' autodeflate='on'>${stats}</memballoon>
  </devices>
</domain>
`;
}

/** Waits for a console line matching `pattern`; resolves to it. */
export async function waitForConsoleLine(consolePath: string, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = existsSync(consolePath) ? readFileSync(consolePath, 'utf8').replace(/\r/g, '') : '';
    const line = text.split('\n').find((l) => pattern.test(l));
    if (line) return line;
    if (Date.now() > deadline) throw new Error(`no console line ${pattern} in ${timeoutMs} ms; console:\n${text.split('\n').slice(-15).join('\n')}`);
    await sleep(100);
  }
}

/** One line on the guest's control channel (test/harness/guest/init.sh); resolves to its ACK line. */
export function guestCtl(ctlPath: string, line: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(ctlPath);
    let buf = '';
    const timer = setTimeout(() => finish(new Error(`ctl('${line}'): no ACK in ${timeoutMs} ms`)), timeoutMs);
    const finish = (error: Error | null, ack?: string): void => {
      clearTimeout(timer);
      sock.destroy();
      if (error) reject(error);
      else resolve(ack!);
    };
    sock.on('connect', () => sock.write(`${line}\n`));
    sock.on('data', (d) => {
      buf += d.toString();
      const ack = buf.split(/\r?\n/).find((l) => /^(ACK|NAK)/.test(l.trim()));
      if (ack && /\n/.test(buf.slice(buf.indexOf(ack)))) finish(ack.startsWith('NAK') ? new Error(`ctl('${line}'): ${ack}`) : null, ack.trim());
    });
    sock.on('error', (e) => finish(new Error(`ctl('${line}'): ${e.message}`)));
  });
}
