/* SPDX-License-Identifier: GPL-2.0 */
/* kernel_defs.bpf.h — kernel constants that vmlinux.h cannot carry (macros of the uapi and kernel headers). */
#ifndef ZCTRACE_KERNEL_DEFS_BPF_H
#define ZCTRACE_KERNEL_DEFS_BPF_H

/* Macros that vmlinux.h cannot carry. */
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define O_DIRECT 00040000
#define FMODE_WRITE 0x2
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define MSG_ZEROCOPY 0x4000000
#define MSG_ERRQUEUE 0x2000
#define MAP_ANONYMOUS 0x20
#define SOL_IP 0
#define SOL_IPV6 41
#define IP_RECVERR 11
#define IPV6_RECVERR 25
#define SO_EE_ORIGIN_ZEROCOPY 5
#define SO_EE_CODE_ZEROCOPY_COPIED 1
#define IORING_CQE_F_NOTIF (1U << 3)
#define SOL_SOCKET 1
#define SOL_TCP 6
#define SOL_TLS 282
#define SO_ZEROCOPY 60
#define TCP_ULP 31
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)
#define F_SETLEASE 1024
#define F_UNLCK 2
#define SIGBUS 7
#define PF_KTHREAD 0x00200000
#define KERNEL_MKDEV(major, minor) (((major) << 20) | (minor))

#define VM_WRITE 0x2
#define VM_EXEC 0x4
#define VM_SHARED 0x8
#define E2BIG 7
#define USER_ADDRESS_END 0x800000000000ull /* x86_64 with 4-level page tables: user addresses are below */

/* Filesystems whose regular files the kernel makes up as they are read (include/uapi/linux/magic.h) */
#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572
#define DEBUGFS_MAGIC 0x64626720
#define TRACEFS_MAGIC 0x74726163
#define SECURITYFS_MAGIC 0x73636673
#define CONFIGFS_MAGIC 0x62656570
#define CGROUP_SUPER_MAGIC 0x27e0eb
#define CGROUP2_SUPER_MAGIC 0x63677270
#define PSTOREFS_MAGIC 0x6165676C
#define EFIVARFS_MAGIC 0xde5e81e4

#define SG_CHAIN 0x01UL
#define SG_END 0x02UL
#define DMA_SG_MAX_ENTRIES 1024 /* bounded walk: a longer list is counted up to here */

#endif /* ZCTRACE_KERNEL_DEFS_BPF_H */
