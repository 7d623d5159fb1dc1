// Owns the labels of the classifier's sample: which type a sampled object truly has, from what is
// known without looking at its bytes — a cache created for one type (`cred_jar` -> cred), or, for
// general kmalloc caches, the function its allocation's call_site is in when that function
// allocates one known type there (checked: the requested size must be that type's size, or a
// whole number of elements for arrays). Objects with no such label (allocated before the sampler,
// or at a call site not listed) are left out of the measurement. Also the kmalloc size classes.

import type { ObjectSample } from './samples.js';
import { symbolAt, type SymbolTable } from './symbols.js';

/** Caches created for one type (6.1; `slab_nomerge` keeps them apart), cache name -> struct name or `(buffer)`. */
export const DEDICATED_CACHES: Readonly<Record<string, string>> = {
  anon_vma_chain: 'anon_vma_chain',
  anon_vma: 'anon_vma',
  vm_area_struct: 'vm_area_struct',
  mm_struct: 'mm_struct',
  maple_node: 'maple_node',
  skbuff_head_cache: 'sk_buff',
  skbuff_fclone_cache: 'sk_buff_fclones',
  seq_file: 'seq_file',
  lsm_inode_cache: 'inode_security_struct',
  lsm_file_cache: 'file_security_struct',
  proc_inode_cache: 'proc_inode',
  shmem_inode_cache: 'shmem_inode_info',
  sock_inode_cache: 'socket_alloc',
  inode_cache: 'inode',
  dentry: 'dentry',
  cred_jar: 'cred',
  filp: 'file',
  files_cache: 'files_struct',
  fs_cache: 'fs_struct',
  sighand_cache: 'sighand_struct',
  signal_cache: 'signal_struct',
  task_struct: 'task_struct',
  pid: 'pid',
  sigqueue: 'sigqueue',
  radix_tree_node: 'xa_node',
  names_cache: '(buffer)',
  UNIX: 'unix_sock',
  TCP: 'tcp_sock',
  TCPv6: 'tcp6_sock',
  UDP: 'udp_sock',
  UDPv6: 'udp6_sock',
  RAW: 'raw_sock',
  RAWv6: 'raw6_sock',
  request_sock_TCP: 'tcp_request_sock',
  request_sock_TCPv6: 'tcp_request_sock',
  tcp_bind_bucket: 'inet_bind_bucket',
  tcp_bind2_bucket: 'inet_bind2_bucket',
  perf_event: 'perf_event',
  ip6_dst_cache: 'rt6_info',
  ip_dst_cache: 'rtable',
  kernfs_node_cache: 'kernfs_node',
  buffer_head: 'buffer_head',
  nsproxy: 'nsproxy',
  fib6_nodes: 'fib6_node',
};

/**
 * kmalloc call sites whose object type is known, function -> type. The call_site is the
 * allocating function (kmem:kmalloc's), or for `kmalloc_reserve` (skb data heads) the function
 * that called __alloc_skb: those are `(buffer)`. A label holds only when the requested size fits
 * the type (labelFor).
 */
export const KMALLOC_SITES: Readonly<Record<string, string>> = {
  alloc_pipe_info: 'pipe_inode_info|pipe_buffer[]',
  single_open: 'seq_operations',
  security_prepare_creds: 'task_security_struct',
  security_sk_alloc: 'sk_security_struct',
  __get_vm_area_node: 'vm_struct',
  alloc_bprm: 'linux_binprm',
  sk_prot_alloc: 'netlink_sock',
  inet6_dump_fib: 'fib6_walker',
  selinux_netlbl_sock_genattr: 'netlbl_lsm_secattr',
  kobject_uevent_env: 'kobj_uevent_env',
  // skb data heads (kmalloc_reserve's call_site is __alloc_skb's caller), strings, ELF headers
  alloc_skb_with_frags: '(buffer)',
  tcp_stream_alloc_skb: '(buffer)',
  __tcp_send_ack: '(buffer)',
  tcp_send_fin: '(buffer)',
  tcp_make_synack: '(buffer)',
  __ip6_append_data: '(buffer)',
  __ip_append_data: '(buffer)',
  netlink_sendmsg: '(buffer)',
  netlink_ack: '(buffer)',
  netlink_dump: '(buffer)',
  inet6_rt_notify: '(buffer)',
  load_elf_binary: '(buffer)',
  proc_self_get_link: '(buffer)',
  shmem_symlink: '(buffer)',
  kobject_get_path: '(buffer)',
};

/** SLUB's kmalloc size classes on x86-64 (KMALLOC_MIN_SIZE 8, the 96 and 192 caches). */
export const KMALLOC_CLASSES = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192] as const;

/** The kmalloc class an object of `size` bytes would be in (the largest class past 8 KiB). */
export function kmallocClass(size: number): number {
  for (const c of KMALLOC_CLASSES) if (size <= c) return c;
  return 8192;
}

/** Whether a cache is a general kmalloc cache (`kmalloc-64`, `kmalloc-cg-64`, `kmalloc-rcl-64`). */
export function isKmallocCache(name: string): boolean {
  return /^kmalloc-(?:cg-|rcl-|dma-)?\d+k?$/.test(name);
}

/** Type sizes the labels are checked against (struct name -> sizeof; arrays by their element's name + `[]`). */
export type SizeOf = (type: string) => number | undefined;

/**
 * The true type of a sample, or undefined when unknown: its dedicated cache's type, else its
 * kmalloc call site's type when the requested size is that type's (an array's: a multiple of its
 * element's), else undefined.
 */
export function labelFor(s: ObjectSample, syms: SymbolTable, sizeOfType: SizeOf): string | undefined {
  const dedicated = DEDICATED_CACHES[s.cacheName];
  if (dedicated) return dedicated;
  if (!isKmallocCache(s.cacheName) || s.callSite === 0n || s.bytesReq === 0) return undefined;
  const fn = symbolAt(syms, s.callSite);
  const listed = fn && KMALLOC_SITES[fn.name];
  if (!listed) return undefined;
  for (const t of listed.split('|')) {
    if (t === '(buffer)') return t;
    const size = sizeOfType(t.endsWith('[]') ? t.slice(0, -2) : t);
    if (size === undefined) continue;
    if (t.endsWith('[]') ? s.bytesReq % size === 0 && s.bytesReq > size : s.bytesReq === size) return t;
  }
  return undefined;
}
