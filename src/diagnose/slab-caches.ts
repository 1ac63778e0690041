// What an unreclaimable slab cache holds, what usually makes it grow without end, how
// to find the one responsible and what gives the memory back: the slab rule's remedy
// (slab-rule.ts) for the cache that grew most. Pure.
//
// Where the words come from: the kernel's own names for its caches (mm/, kernel/fork.c,
// net/, kernel/cgroup/, virt/kvm/), and what those caches are known to hold. Only caches
// whose leaks have a usual suspect are listed; any other gets the general words.
// Commands in the text are fixed strings: a cache name (which a module chooses) is
// never put into one.

export interface SlabCacheHint {
  /** What the cache holds, e.g. "memory mappings (VMAs)". */
  holds: string;
  /** What usually makes it grow and not come back, as a clause: "a process maps ...". */
  leaks: string;
  /** How to find who does it: a command or a place to look. */
  find: string;
  /** What to do, and what gives the memory back, as an imperative. */
  fix: string;
}

const HINTS: ReadonlyArray<{ name: RegExp; hint: SlabCacheHint }> = [
  {
    name: /^(vm_area_struct|maple_node|anon_vma|anon_vma_chain)$/,
    hint: {
      holds: 'memory mappings (VMAs)',
      leaks: 'a process keeps mapping memory and never unmaps it (each mapping it keeps is a VMA)',
      find: 'the process with the most mappings: `sudo wc -l /proc/[0-9]*/maps 2>/dev/null | sort -n | tail -4`',
      fix: 'restart or fix that process: its mappings go when it exits',
    },
  },
  {
    name: /^(task_struct|pid|signal_cache|sighand_cache|cred_jar|mm_struct|files_cache|fs_cache|thread_stack)$/,
    hint: {
      holds: 'processes and threads',
      leaks: 'processes or threads pile up: a fork loop, or zombies their parent never reaps',
      find: '`ps -eLf | wc -l` (threads), `ps -eo stat,ppid,comm | grep ^Z` (zombies and their parents)',
      fix: 'end the process that spawns them, or the parent that does not reap them',
    },
  },
  {
    name: /^(sock_inode_cache|TCP|TCPv6|UDP|UDPv6|UNIX|RAW|RAWv6|request_sock_TCP|request_sock_TCPv6|tw_sock_TCP|tw_sock_TCPv6|skbuff_head_cache|skbuff_small_head|skbuff_fclone_cache)$/,
    hint: {
      holds: 'sockets and their buffers',
      leaks: 'sockets are opened and never closed, or data is queued to sockets nobody reads',
      find: '`ss -s`; who holds the most: `for p in /proc/[0-9]*; do echo "$(ls -l $p/fd 2>/dev/null | grep -c socket:) $p"; done | sort -n | tail -3`',
      fix: 'restart or fix that process: its sockets go when it exits',
    },
  },
  {
    name: /^nf_conntrack/,
    hint: {
      holds: 'netfilter connection-tracking entries',
      leaks: 'connections are tracked faster than they expire (a scan, a flood, long timeouts)',
      find: '`conntrack -C` against `sysctl net.netfilter.nf_conntrack_max`; `conntrack -L | head` for whose',
      fix: 'lower the nf_conntrack timeouts or exempt that traffic from tracking (NOTRACK); entries go as they expire',
    },
  },
  {
    name: /^(kernfs_node_cache|kernfs_iattrs_cache)$/,
    hint: {
      holds: 'sysfs and cgroupfs nodes',
      leaks: 'cgroups are made and not removed, or removed but still held by their pages (dying memory cgroups)',
      find: '`cat /sys/fs/cgroup/cgroup.stat` (nr_dying_descendants on cgroup v2), `find /sys/fs/cgroup -type d | wc -l`',
      fix: 'remove cgroups left behind (stopped VMs\' and services\' scopes); dying ones go once their pages are reclaimed',
    },
  },
  {
    name: /^(filp|eventpoll_epi|eventpoll_pwq|pipe_inode_info|signalfd_ctx|inotify_inode_mark)$/,
    hint: {
      holds: 'open files',
      leaks: 'files (or pipes, epoll and inotify watches) are opened and never closed',
      find: '`cat /proc/sys/fs/file-nr`; who holds the most: `for p in /proc/[0-9]*; do echo "$(ls $p/fd 2>/dev/null | wc -l) $p"; done | sort -n | tail -3`',
      fix: 'restart or fix that process: its files close when it exits',
    },
  },
  {
    name: /^kvm_mmu_page_header$/,
    hint: {
      holds: 'KVM\'s page tables for guest memory',
      leaks: 'guests touch ever more memory (normal while they warm up), or a KVM bug keeps the tables',
      find: 'the VMs in faultline\'s table and their guest RAM; `virsh list`',
      fix: 'stop or migrate VMs: each VM\'s page tables go when it exits; if none is growing, update the kernel',
    },
  },
  {
    name: /^kmalloc-(?:rcl-|cg-|dma-)?\d+k?$/,
    hint: {
      holds: 'the kernel\'s general allocations of that size',
      leaks: 'a driver or kernel module allocates without freeing',
      find: 'the call sites: `sudo bpftrace -e \'tracepoint:kmem:kmalloc { @[ksym(args->call_site)] = sum(args->bytes_alloc); }\'` for a minute, or kmemleak (CONFIG_DEBUG_KMEMLEAK)',
      fix: 'update or unload that module',
    },
  },
];

const GENERAL: SlabCacheHint = {
  holds: 'kernel objects',
  leaks: 'whatever allocates from it (a driver, a module, a filesystem, netfilter) does not free',
  find: 'the cache\'s name points to its subsystem; `dmesg` for errors from it',
  fix: 'update or unload that module',
};

/** What `cache` holds and how its leaks are found and fixed; general words for a cache
 * not listed. */
export function slabCacheHint(cache: string): SlabCacheHint {
  return HINTS.find((h) => h.name.test(cache))?.hint ?? GENERAL;
}
