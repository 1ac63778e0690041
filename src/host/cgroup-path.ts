// /proc/PID/cgroup, and what a cgroup path says about the VM in it. Pure.
//
// Paths a VM lives in (libvirt docs/cgroups.rst, proxmox qemu-server CGroup.pm):
//   libvirt + systemd   /machine.slice/machine-qemu\x2d1\x2dvm1.scope[/libvirt/emulator|/libvirt/vcpu0]
//                       (custom partitions nest: machine.slice/machine-prod.slice/machine-...scope)
//   libvirt, no systemd /machine/qemu-1-vm1.libvirt-qemu/emulator (or /machine/PARTITION/...)
//   Proxmox VE          /qemu.slice/100.scope
// The machine name is libvirt's mangled domain name (only [A-Za-z0-9.-] kept, runs
// collapsed, truncated), so it is a fallback label only: never turn it back into a
// VM name when the QEMU command line has one.

export interface ProcCgroupPaths {
  /** cgroup v1 memory controller path ('' when there is no v1 memory hierarchy). */
  memoryPath: string;
  /** cgroup v2 (unified) path, from the `0::` line ('' when absent). */
  unifiedPath: string;
}

export interface CgroupVm {
  /** The systemd unit or libvirt directory as it appears in the path, e.g.
   * `machine-qemu\x2d1\x2dvm1.scope`, `qemu-1-vm1.libvirt-qemu`, `100.scope`; '' when none. */
  scopeName: string;
  /** The systemd-machined / libvirt machine name, unescaped: `qemu-1-vm1`; '' when none. */
  machineName: string;
  /** Proxmox VMID from qemu.slice/VMID.scope, '' elsewhere. */
  proxmoxVmid: string;
}

/** Lines are `hierarchy-id:controllers:path`; the path may itself contain ':'. */
export function parseProcCgroup(text: string): ProcCgroupPaths {
  const paths: ProcCgroupPaths = { memoryPath: '', unifiedPath: '' };
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const id = line.slice(0, first);
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (id === '0' && controllers === '') paths.unifiedPath = path;
    else if (controllers.split(',').includes('memory')) paths.memoryPath = path;
  }
  return paths;
}

/** systemd unit-name unescaping: `\xNN` is one byte; the bytes are UTF-8. */
export function unescapeSystemdName(name: string): string {
  if (!name.includes('\\x')) return name;
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const hex = name.slice(i + 2, i + 4);
    if (name.startsWith('\\x', i) && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 3;
    } else {
      bytes.push(...Buffer.from(name[i] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export function vmFromCgroupPath(path: string): CgroupVm {
  const segments = path.split('/').filter((s) => s !== '');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] ?? '';
    const systemd = /^machine-(.+)\.scope$/.exec(segment);
    if (systemd?.[1]) {
      return { scopeName: segment, machineName: unescapeSystemdName(systemd[1]), proxmoxVmid: '' };
    }
    const plain = /^(.+)\.libvirt-qemu$/.exec(segment);
    if (plain?.[1]) {
      return { scopeName: segment, machineName: plain[1], proxmoxVmid: '' };
    }
    const proxmox = /^(\d+)\.scope$/.exec(segment);
    if (proxmox?.[1] && segments[i - 1] === 'qemu.slice') {
      return { scopeName: segment, machineName: '', proxmoxVmid: proxmox[1] };
    }
  }
  return { scopeName: '', machineName: '', proxmoxVmid: '' };
}
