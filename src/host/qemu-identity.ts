// Who a QEMU process is, from its command line (and its cgroup path). Pure.
//
// What each manager passes (research note, section 1):
//   libvirt   /usr/bin/qemu-system-x86_64 -name guest=NAME,debug-threads=on -uuid UUID
//             -machine pc-q35-8.2,...,memory-backend=pc.ram -m size=524288k
//             -object {"qom-type":"memory-backend-ram","id":"pc.ram","size":536870912}
//   OpenStack libvirt, with the domain named instance-%08x and -uuid = nova instance uuid
//   Proxmox   /usr/bin/kvm -id 100 -name 'web,debug-threads=on' -smbios 'type=1,uuid=UUID' -m 2048
//   plain     qemu-system-x86_64 -m 2G [-name NAME]
// The main thread's comm is the binary name cut to 15 bytes: qemu-system-x86, qemu-kvm
// (RHEL's /usr/libexec/qemu-kvm) or kvm (Proxmox).
import { basename } from 'node:path';
import type { VmIdentity } from '../model/host.js';
import type { IdentitySource } from '../model/snapshot.js';
import { vmFromCgroupPath } from './cgroup-path.js';
import { optionValue, parseQemuOptions, qemuOptionArgs } from './qemu-options.js';
import { guestMemoryBytes } from './qemu-memory.js';

export { unescapeQemuOption } from './qemu-options.js';

/** nova's default instance_name_template, `instance-%08x`. */
const NOVA_DOMAIN_NAME = /^instance-[0-9a-f]{8,}$/;

/** Cheap first filter on /proc/PID/stat's comm, before reading any cmdline. */
export function isQemuComm(comm: string): boolean {
  return comm.startsWith('qemu-system-') || comm === 'qemu-kvm' || comm === 'kvm';
}

function isQemuBinary(argv0: string): boolean {
  const name = basename(argv0);
  return name.startsWith('qemu-system-') || name === 'qemu-kvm' || name === 'kvm';
}

/**
 * A process with a command line whose binary is QEMU, or whose comm is QEMU's own.
 * comm `kvm` alone is not enough (a shell script named kvm has comm kvm and argv[0]
 * /bin/sh); kernel threads and zombies have no command line and are never VMs.
 */
export function isQemuProcess(comm: string, argv: string[]): boolean {
  const argv0 = argv[0];
  if (argv0 === undefined || argv0 === '') return false;
  return isQemuBinary(argv0) || (isQemuComm(comm) && comm !== 'kvm');
}

/**
 * Identity from argv. Name fallbacks: Proxmox `vm<VMID>`, then the cgroup's machine
 * name; '' when none (the caller names it `qemu-<pid>`).
 */
export function parseQemuArgv(argv: string[], cgroupPath = ''): VmIdentity {
  let name = '';
  let namedWithGuestKey = false;
  let uuid = '';
  let smbiosUuid = '';
  let idOption = '';
  for (const [option, value] of qemuOptionArgs(argv)) {
    if (option === '-name') {
      const pairs = parseQemuOptions(value, 'guest');
      name = optionValue(pairs, 'guest');
      namedWithGuestKey = value.startsWith('guest=');
    } else if (option === '-uuid') {
      uuid = value;
    } else if (option === '-id') {
      idOption = value;
    } else if (option === '-smbios') {
      const pairs = parseQemuOptions(value, 'type');
      if (optionValue(pairs, 'type') === '1' && optionValue(pairs, 'uuid')) smbiosUuid = optionValue(pairs, 'uuid');
    }
  }

  const cgroupVm = vmFromCgroupPath(cgroupPath);
  const vmid = idOption || cgroupVm.proxmoxVmid;
  let source: IdentitySource = 'qemu';
  if (vmid) source = 'proxmox';
  else if (namedWithGuestKey || cgroupVm.machineName) source = 'libvirt';
  if (source !== 'proxmox' && NOVA_DOMAIN_NAME.test(name)) source = 'openstack';

  if (!name && vmid) name = `vm${vmid}`;
  if (!name) name = cgroupVm.machineName;

  return { name, uuid: uuid || smbiosUuid, memoryBytes: guestMemoryBytes(argv), source, vmid };
}
