"""Numbers and names fixed by the kernel's UAPI, bpftool and the file system, in one place."""

VERSION = "0.1.0"  # bpfinspect's own

# include/uapi/linux/bpf.h: enum bpf_map_type (the ones bpfinspect treats specially)
BPF_MAP_TYPE_ARRAY = 2
BPF_MAP_TYPE_PROG_ARRAY = 3
BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4
BPF_MAP_TYPE_PERCPU_HASH = 5
BPF_MAP_TYPE_PERCPU_ARRAY = 6
BPF_MAP_TYPE_LRU_PERCPU_HASH = 10
BPF_MAP_TYPE_ARRAY_OF_MAPS = 12
BPF_MAP_TYPE_HASH_OF_MAPS = 13
BPF_MAP_TYPE_REUSEPORT_SOCKARRAY = 20
BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE = 21
BPF_MAP_TYPE_QUEUE = 22
BPF_MAP_TYPE_STACK = 23
BPF_MAP_TYPE_RINGBUF = 27
BPF_MAP_TYPE_BLOOM_FILTER = 30
BPF_MAP_TYPE_USER_RINGBUF = 31
BPF_MAP_TYPE_ARENA = 33

PER_CPU_MAP_TYPES = frozenset((BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY,
                               BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE))
MAP_OF_MAPS_TYPES = frozenset((BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS))

BPF_F_RDONLY = 1 << 3  # open a map read-only

# limits
BPF_OBJ_NAME_LEN = 16  # a kernel object name, with its NUL
BPF_TAG_SIZE = 8
MAX_PROG_FULL_NAME = 128  # bpftool's limit on a program's full (BTF) name, with its NUL

# include/uapi/linux/btf.h
BTF_MAGIC = 0xEB9F
BTF_KIND_NAMES = ("UNKN", "INT", "PTR", "ARRAY", "STRUCT", "UNION", "ENUM", "FWD", "TYPEDEF",
                  "VOLATILE", "CONST", "RESTRICT", "FUNC", "FUNC_PROTO", "VAR", "DATASEC",
                  "FLOAT", "DECL_TAG", "TYPE_TAG", "ENUM64")
(BTF_KIND_UNKN, BTF_KIND_INT, BTF_KIND_PTR, BTF_KIND_ARRAY, BTF_KIND_STRUCT, BTF_KIND_UNION,
 BTF_KIND_ENUM, BTF_KIND_FWD, BTF_KIND_TYPEDEF, BTF_KIND_VOLATILE, BTF_KIND_CONST,
 BTF_KIND_RESTRICT, BTF_KIND_FUNC, BTF_KIND_FUNC_PROTO, BTF_KIND_VAR, BTF_KIND_DATASEC,
 BTF_KIND_FLOAT, BTF_KIND_DECL_TAG, BTF_KIND_TYPE_TAG, BTF_KIND_ENUM64) = range(20)


def btf_info_kind(info):
    """The kind in a btf_type's info word (BTF_INFO_KIND)."""
    return (info >> 24) & 0x1F


def btf_info_vlen(info):
    return info & 0xFFFF


# the kernel's ENOTSUPP (not in errno): an operation the map type does not have
ENOTSUPP = 524

# paths
VMLINUX_BTF = "/sys/kernel/btf/vmlinux"
SYSFS_BTF_DIR = "/sys/kernel/btf/"
KALLSYMS = "/proc/kallsyms"
KPTR_RESTRICT = "/proc/sys/kernel/kptr_restrict"
BPF_STATS_ENABLED = "/proc/sys/kernel/bpf_stats_enabled"
BPF_STATS_RUN_TIME = 0  # enum bpf_stats_type
PROC_MOUNTS = "/proc/mounts"
BPF_FS_MAGIC = 0xCAFE4A11

# bpftool's prefix of the read-only variables that `prog show` lists as metadata
METADATA_PREFIX = "bpf_metadata_"

# net: bpf(2) commands and attach types that `net show` queries, and its section names
BPF_PROG_QUERY = 16
BPF_FLOW_DISSECTOR = 17
BPF_TCX_INGRESS = 46
BPF_TCX_EGRESS = 47
BPF_NETKIT_PRIMARY = 54
BPF_NETKIT_PEER = 55
BPF_LINK_TYPE_NETFILTER = 10
NET_TC_LOCATIONS = ((BPF_TCX_INGRESS, "tcx/ingress"), (BPF_TCX_EGRESS, "tcx/egress"),
                    (BPF_NETKIT_PRIMARY, "netkit/primary"), (BPF_NETKIT_PEER, "netkit/peer"))
NET_QUERY_MAX = 64  # bpftool's array size per tcx/netkit query
NF_PF_NAMES = {1: "inet", 2: "ip", 3: "arp", 5: "netdev", 7: "bridge", 10: "ip6"}
NF_INET_HOOK_NAMES = ("prerouting", "input", "forward", "output", "postrouting")
NF_ARP_HOOK_NAMES = ("input", "output")

# link: bpftool 7.8's names (libbpf 1.8's link_type_name and attach_type_name, by number);
# a number past these falls back to the installed libbpf's name, then to the number
LINK_TYPE_NAMES = ("unspec", "raw_tracepoint", "tracing", "cgroup", "iter", "netns", "xdp",
                   "perf_event", "kprobe_multi", "struct_ops", "netfilter", "tcx",
                   "uprobe_multi", "netkit", "sockmap", "tracing_multi")
(BPF_LINK_TYPE_UNSPEC, BPF_LINK_TYPE_RAW_TRACEPOINT, BPF_LINK_TYPE_TRACING, BPF_LINK_TYPE_CGROUP,
 BPF_LINK_TYPE_ITER, BPF_LINK_TYPE_NETNS, BPF_LINK_TYPE_XDP, BPF_LINK_TYPE_PERF_EVENT,
 BPF_LINK_TYPE_KPROBE_MULTI, BPF_LINK_TYPE_STRUCT_OPS, _BPF_LINK_TYPE_NETFILTER, BPF_LINK_TYPE_TCX,
 BPF_LINK_TYPE_UPROBE_MULTI, BPF_LINK_TYPE_NETKIT, BPF_LINK_TYPE_SOCKMAP,
 BPF_LINK_TYPE_TRACING_MULTI) = range(16)
ATTACH_TYPE_NAMES = (
    "cgroup_inet_ingress", "cgroup_inet_egress", "cgroup_inet_sock_create", "cgroup_sock_ops",
    "sk_skb_stream_parser", "sk_skb_stream_verdict", "cgroup_device", "sk_msg_verdict",
    "cgroup_inet4_bind", "cgroup_inet6_bind", "cgroup_inet4_connect", "cgroup_inet6_connect",
    "cgroup_inet4_post_bind", "cgroup_inet6_post_bind", "cgroup_udp4_sendmsg",
    "cgroup_udp6_sendmsg", "lirc_mode2", "flow_dissector", "cgroup_sysctl",
    "cgroup_udp4_recvmsg", "cgroup_udp6_recvmsg", "cgroup_getsockopt", "cgroup_setsockopt",
    "trace_raw_tp", "trace_fentry", "trace_fexit", "modify_return", "lsm_mac", "trace_iter",
    "cgroup_inet4_getpeername", "cgroup_inet6_getpeername", "cgroup_inet4_getsockname",
    "cgroup_inet6_getsockname", "xdp_devmap", "cgroup_inet_sock_release", "xdp_cpumap",
    "sk_lookup", "xdp", "sk_skb_verdict", "sk_reuseport_select",
    "sk_reuseport_select_or_migrate", "perf_event", "trace_kprobe_multi", "lsm_cgroup",
    "struct_ops", "netfilter", "tcx_ingress", "tcx_egress", "trace_uprobe_multi",
    "cgroup_unix_connect", "cgroup_unix_sendmsg", "cgroup_unix_recvmsg",
    "cgroup_unix_getpeername", "cgroup_unix_getsockname", "netkit_primary", "netkit_peer",
    "trace_kprobe_session", "trace_uprobe_session", "trace_fsession", "trace_fentry_multi",
    "trace_fexit_multi", "trace_fsession_multi")
# struct bpf_link_info's perf_event.type (enum bpf_perf_event_type)
(BPF_PERF_EVENT_UNSPEC, BPF_PERF_EVENT_UPROBE, BPF_PERF_EVENT_URETPROBE, BPF_PERF_EVENT_KPROBE,
 BPF_PERF_EVENT_KRETPROBE, BPF_PERF_EVENT_TRACEPOINT, BPF_PERF_EVENT_EVENT) = range(7)
BPF_F_KPROBE_MULTI_RETURN = 1
BPF_F_UPROBE_MULTI_RETURN = 1
# bpftool's link.c: iterator targets with a map / a task / a cgroup, and the cgroup orders
LINK_ITER_MAP_TARGETS = ("bpf_map_elem", "bpf_sk_storage_map")
LINK_ITER_TASK_TARGETS = ("task", "task_file", "task_vma")
LINK_ITER_CGROUP_ORDERS = ("order_unspec", "self_only", "descendants_pre", "descendants_post",
                           "ancestors_up")
# perf_event names (linux/perf_event.h, as bpftool's link.c spells them)
PERF_TYPE_NAMES = ("hardware", "software", "tracepoint", "hw-cache", "raw", "breakpoint")
PERF_HW_NAMES = ("cpu-cycles", "instructions", "cache-references", "cache-misses",
                 "branch-instructions", "branch-misses", "bus-cycles", "stalled-cycles-frontend",
                 "stalled-cycles-backend", "ref-cycles")
PERF_SW_NAMES = ("cpu-clock", "task-clock", "page-faults", "context-switches", "cpu-migrations",
                 "minor-faults", "major-faults", "alignment-faults", "emulation-faults", "dummy",
                 "bpf-output", "cgroup-switches")
PERF_HW_CACHE_NAMES = ("L1-dcache", "L1-icache", "LLC", "dTLB", "iTLB", "branch", "node")
PERF_HW_CACHE_OP_NAMES = ("load", "store", "prefetch")
PERF_HW_CACHE_RESULT_NAMES = ("refs", "misses")
PATH_MAX = 4096

# cgroup: bpftool 7.8's cgroup_attach_types, the order `cgroup show|tree` queries them in
# (enum bpf_attach_type numbers: inet_ingress, inet_egress, inet_sock_create,
# inet_sock_release, inet4_bind, inet6_bind, inet4_post_bind, inet6_post_bind, inet4_connect,
# inet6_connect, unix_connect, inet4/inet6/unix getpeername, getsockname, udp4/udp6/unix
# sendmsg, recvmsg, sock_ops, device, sysctl, getsockopt, setsockopt, lsm_cgroup)
CGROUP_QUERY_ORDER = (0, 1, 2, 34, 8, 9, 12, 13, 10, 11, 49, 29, 30, 52, 31, 32, 53, 14, 15, 50,
                      19, 20, 51, 3, 6, 18, 21, 22, 43)
BPF_F_QUERY_EFFECTIVE = 1
BPF_F_ALLOW_OVERRIDE = 1
BPF_F_ALLOW_MULTI = 2
CGROUP_QUERY_MAX = 1024  # bpftool's prog_ids[1024]
CGROUP2_SUPER_MAGIC = 0x63677270
# perf: bpf_task_fd_query's fd_type (enum bpf_task_fd_type), bpftool's names
PERF_FD_TYPE_NAMES = ("raw_tracepoint", "tracepoint", "kprobe", "kretprobe", "uprobe",
                      "uretprobe")
# prog tracelog: where bpftool looks for the trace pipe (tracefs, then debugfs)
TRACEFS_MOUNTS = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")

# feature: bpftool 7.8's names (libbpf 1.8's prog_type_name and map_type_name, by number;
# libbpf 1.1 ends before netfilter and cgrp_storage), and its helper table (the kernel's
# enum bpf_func_id without BPF_FUNC_, ids 0-211; the running kernel's BTF extends it)
PROG_TYPE_NAMES = (
    "unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp",
    "perf_event", "cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit", "sock_ops",
    "sk_skb", "cgroup_device", "sk_msg", "raw_tracepoint", "cgroup_sock_addr", "lwt_seg6local",
    "lirc_mode2", "sk_reuseport", "flow_dissector", "cgroup_sysctl", "raw_tracepoint_writable",
    "cgroup_sockopt", "tracing", "struct_ops", "ext", "lsm", "sk_lookup", "syscall",
    "netfilter")
MAP_TYPE_NAMES = (
    "unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash", "percpu_array",
    "stack_trace", "cgroup_array", "lru_hash", "lru_percpu_hash", "lpm_trie", "array_of_maps",
    "hash_of_maps", "devmap", "sockmap", "cpumap", "xskmap", "sockhash", "cgroup_storage",
    "reuseport_sockarray", "percpu_cgroup_storage", "queue", "stack", "sk_storage",
    "devmap_hash", "struct_ops", "ringbuf", "inode_storage", "task_storage", "bloom_filter",
    "user_ringbuf", "cgrp_storage", "arena", "insn_array", "rhash")
HELPER_NAMES = (
    "unspec", "map_lookup_elem", "map_update_elem", "map_delete_elem", "probe_read",
    "ktime_get_ns", "trace_printk", "get_prandom_u32", "get_smp_processor_id",
    "skb_store_bytes", "l3_csum_replace", "l4_csum_replace", "tail_call", "clone_redirect",
    "get_current_pid_tgid", "get_current_uid_gid", "get_current_comm", "get_cgroup_classid",
    "skb_vlan_push", "skb_vlan_pop", "skb_get_tunnel_key", "skb_set_tunnel_key",
    "perf_event_read", "redirect", "get_route_realm", "perf_event_output", "skb_load_bytes",
    "get_stackid", "csum_diff", "skb_get_tunnel_opt", "skb_set_tunnel_opt", "skb_change_proto",
    "skb_change_type", "skb_under_cgroup", "get_hash_recalc", "get_current_task",
    "probe_write_user", "current_task_under_cgroup", "skb_change_tail", "skb_pull_data",
    "csum_update", "set_hash_invalid", "get_numa_node_id", "skb_change_head",
    "xdp_adjust_head", "probe_read_str", "get_socket_cookie", "get_socket_uid", "set_hash",
    "setsockopt", "skb_adjust_room", "redirect_map", "sk_redirect_map", "sock_map_update",
    "xdp_adjust_meta", "perf_event_read_value", "perf_prog_read_value", "getsockopt",
    "override_return", "sock_ops_cb_flags_set", "msg_redirect_map", "msg_apply_bytes",
    "msg_cork_bytes", "msg_pull_data", "bind", "xdp_adjust_tail", "skb_get_xfrm_state",
    "get_stack", "skb_load_bytes_relative", "fib_lookup", "sock_hash_update",
    "msg_redirect_hash", "sk_redirect_hash", "lwt_push_encap", "lwt_seg6_store_bytes",
    "lwt_seg6_adjust_srh", "lwt_seg6_action", "rc_repeat", "rc_keydown", "skb_cgroup_id",
    "get_current_cgroup_id", "get_local_storage", "sk_select_reuseport",
    "skb_ancestor_cgroup_id", "sk_lookup_tcp", "sk_lookup_udp", "sk_release", "map_push_elem",
    "map_pop_elem", "map_peek_elem", "msg_push_data", "msg_pop_data", "rc_pointer_rel",
    "spin_lock", "spin_unlock", "sk_fullsock", "tcp_sock", "skb_ecn_set_ce",
    "get_listener_sock", "skc_lookup_tcp", "tcp_check_syncookie", "sysctl_get_name",
    "sysctl_get_current_value", "sysctl_get_new_value", "sysctl_set_new_value", "strtol",
    "strtoul", "sk_storage_get", "sk_storage_delete", "send_signal", "tcp_gen_syncookie",
    "skb_output", "probe_read_user", "probe_read_kernel", "probe_read_user_str",
    "probe_read_kernel_str", "tcp_send_ack", "send_signal_thread", "jiffies64",
    "read_branch_records", "get_ns_current_pid_tgid", "xdp_output", "get_netns_cookie",
    "get_current_ancestor_cgroup_id", "sk_assign", "ktime_get_boot_ns", "seq_printf",
    "seq_write", "sk_cgroup_id", "sk_ancestor_cgroup_id", "ringbuf_output", "ringbuf_reserve",
    "ringbuf_submit", "ringbuf_discard", "ringbuf_query", "csum_level", "skc_to_tcp6_sock",
    "skc_to_tcp_sock", "skc_to_tcp_timewait_sock", "skc_to_tcp_request_sock",
    "skc_to_udp6_sock", "get_task_stack", "load_hdr_opt", "store_hdr_opt", "reserve_hdr_opt",
    "inode_storage_get", "inode_storage_delete", "d_path", "copy_from_user", "snprintf_btf",
    "seq_printf_btf", "skb_cgroup_classid", "redirect_neigh", "per_cpu_ptr", "this_cpu_ptr",
    "redirect_peer", "task_storage_get", "task_storage_delete", "get_current_task_btf",
    "bprm_opts_set", "ktime_get_coarse_ns", "ima_inode_hash", "sock_from_file", "check_mtu",
    "for_each_map_elem", "snprintf", "sys_bpf", "btf_find_by_name_kind", "sys_close",
    "timer_init", "timer_set_callback", "timer_start", "timer_cancel", "get_func_ip",
    "get_attach_cookie", "task_pt_regs", "get_branch_snapshot", "trace_vprintk",
    "skc_to_unix_sock", "kallsyms_lookup_name", "find_vma", "loop", "strncmp", "get_func_arg",
    "get_func_ret", "get_func_arg_cnt", "get_retval", "set_retval", "xdp_get_buff_len",
    "xdp_load_bytes", "xdp_store_bytes", "copy_from_user_task", "skb_set_tstamp",
    "ima_file_hash", "kptr_xchg", "map_lookup_percpu_elem", "skc_to_mptcp_sock",
    "dynptr_from_mem", "ringbuf_reserve_dynptr", "ringbuf_submit_dynptr",
    "ringbuf_discard_dynptr", "dynptr_read", "dynptr_write", "dynptr_data",
    "tcp_raw_gen_syncookie_ipv4", "tcp_raw_gen_syncookie_ipv6", "tcp_raw_check_syncookie_ipv4",
    "tcp_raw_check_syncookie_ipv6", "ktime_get_tai_ns", "user_ringbuf_drain",
    "cgrp_storage_get", "cgrp_storage_delete")
# bpftool's probe_kernel_image_config, in its order; macros print only CONFIG_HZ
KERNEL_CONFIG_OPTIONS = (
    "CONFIG_BPF", "CONFIG_BPF_SYSCALL", "CONFIG_HAVE_EBPF_JIT", "CONFIG_BPF_JIT",
    "CONFIG_BPF_JIT_ALWAYS_ON", "CONFIG_DEBUG_INFO_BTF", "CONFIG_DEBUG_INFO_BTF_MODULES",
    "CONFIG_CGROUPS", "CONFIG_CGROUP_BPF", "CONFIG_CGROUP_NET_CLASSID", "CONFIG_SOCK_CGROUP_DATA",
    "CONFIG_BPF_EVENTS", "CONFIG_KPROBE_EVENTS", "CONFIG_UPROBE_EVENTS", "CONFIG_TRACING",
    "CONFIG_FTRACE_SYSCALLS", "CONFIG_FUNCTION_ERROR_INJECTION", "CONFIG_BPF_KPROBE_OVERRIDE",
    "CONFIG_NET", "CONFIG_XDP_SOCKETS", "CONFIG_LWTUNNEL_BPF", "CONFIG_NET_ACT_BPF",
    "CONFIG_NET_CLS_BPF", "CONFIG_NET_CLS_ACT", "CONFIG_NET_SCH_INGRESS", "CONFIG_XFRM",
    "CONFIG_IP_ROUTE_CLASSID", "CONFIG_IPV6_SEG6_BPF", "CONFIG_BPF_LIRC_MODE2",
    "CONFIG_BPF_STREAM_PARSER", "CONFIG_NETFILTER_XT_MATCH_BPF", "CONFIG_TEST_BPF", "CONFIG_HZ")
KERNEL_CONFIG_MACROS = ("CONFIG_HZ",)
KERNEL_CONFIG_PATHS = ("/boot/config-%s", "/proc/config.gz")  # %s: uname -r
KERNEL_CONFIG_HEADER = "# Automatically generated file; DO NOT EDIT.\n"
# enum bpf_prog_type / bpf_attach_type numbers and flags the probes use
BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_SCHED_CLS = 1, 2, 3
BPF_PROG_TYPE_XDP = 6
BPF_PROG_TYPE_CGROUP_SOCK_ADDR = 18
BPF_PROG_TYPE_LIRC_MODE2 = 20
BPF_PROG_TYPE_CGROUP_SOCKOPT = 25
(BPF_PROG_TYPE_TRACING, BPF_PROG_TYPE_STRUCT_OPS, BPF_PROG_TYPE_EXT, BPF_PROG_TYPE_LSM,
 BPF_PROG_TYPE_SK_LOOKUP, BPF_PROG_TYPE_SYSCALL, BPF_PROG_TYPE_NETFILTER) = range(26, 33)
BPF_MAP_TYPE_HASH = 1
BPF_MAP_TYPE_STRUCT_OPS = 26
BPF_CGROUP_INET4_CONNECT, BPF_LIRC_MODE2, BPF_CGROUP_GETSOCKOPT = 10, 16, 21
BPF_TRACE_FENTRY, BPF_MODIFY_RETURN, BPF_SK_LOOKUP, BPF_NETFILTER = 24, 26, 36, 45
BPF_TRACE_ITER = 28
BPF_F_SLEEPABLE = 1 << 4
BPF_F_NO_PREALLOC = 1
BPF_F_MMAPABLE = 1 << 10
BPF_MAXINSNS = 4096
# helpers that write to the kernel log: probed only with `full`
NOISY_HELPERS = ("trace_printk", "trace_vprintk", "probe_write_user")
# capabilities `feature probe` needs (bpftool's handle_perms order)
CAP_SYS_ADMIN, CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON = 21, 39, 12, 38
FEATURE_CAPS = ((CAP_SYS_ADMIN, "CAP_SYS_ADMIN"), (CAP_BPF, "CAP_BPF"),
                (CAP_NET_ADMIN, "CAP_NET_ADMIN"), (CAP_PERFMON, "CAP_PERFMON"))
PROC_SUPER_MAGIC = 0x9FA0
# struct_ops: the prefix of the kernel's value types (bpf_struct_ops_tcp_congestion_ops)
STRUCT_OPS_VALUE_PREFIX = "bpf_struct_ops_"
