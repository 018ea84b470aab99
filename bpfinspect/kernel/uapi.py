"""Kernel UAPI structures (include/uapi/linux/bpf.h, newest layout) as ctypes types.

Older kernels fill less of each structure; the fields they do not know stay zero.
"""

import ctypes
from ctypes import c_char, c_int32, c_size_t, c_uint8, c_uint32, c_uint64

from bpfinspect.constants import BPF_OBJ_NAME_LEN, BPF_TAG_SIZE


class bpf_prog_info(ctypes.Structure):
    _fields_ = [
        ("type", c_uint32),
        ("id", c_uint32),
        ("tag", c_uint8 * BPF_TAG_SIZE),
        ("jited_prog_len", c_uint32),
        ("xlated_prog_len", c_uint32),
        ("jited_prog_insns", c_uint64),
        ("xlated_prog_insns", c_uint64),
        ("load_time", c_uint64),
        ("created_by_uid", c_uint32),
        ("nr_map_ids", c_uint32),
        ("map_ids", c_uint64),
        ("name", c_char * BPF_OBJ_NAME_LEN),
        ("ifindex", c_uint32),
        ("gpl_compatible", c_uint32, 1),
        ("_pad0", c_uint32, 31),
        ("netns_dev", c_uint64),
        ("netns_ino", c_uint64),
        ("nr_jited_ksyms", c_uint32),
        ("nr_jited_func_lens", c_uint32),
        ("jited_ksyms", c_uint64),
        ("jited_func_lens", c_uint64),
        ("btf_id", c_uint32),
        ("func_info_rec_size", c_uint32),
        ("func_info", c_uint64),
        ("nr_func_info", c_uint32),
        ("nr_line_info", c_uint32),
        ("line_info", c_uint64),
        ("jited_line_info", c_uint64),
        ("nr_jited_line_info", c_uint32),
        ("line_info_rec_size", c_uint32),
        ("jited_line_info_rec_size", c_uint32),
        ("nr_prog_tags", c_uint32),
        ("prog_tags", c_uint64),
        ("run_time_ns", c_uint64),
        ("run_cnt", c_uint64),
        ("recursion_misses", c_uint64),
        ("verified_insns", c_uint32),
        ("attach_btf_obj_id", c_uint32),
        ("attach_btf_id", c_uint32),
        ("_pad1", c_uint32),
    ]


class bpf_map_info(ctypes.Structure):
    _fields_ = [
        ("type", c_uint32),
        ("id", c_uint32),
        ("key_size", c_uint32),
        ("value_size", c_uint32),
        ("max_entries", c_uint32),
        ("map_flags", c_uint32),
        ("name", c_char * BPF_OBJ_NAME_LEN),
        ("ifindex", c_uint32),
        ("btf_vmlinux_value_type_id", c_uint32),
        ("netns_dev", c_uint64),
        ("netns_ino", c_uint64),
        ("btf_id", c_uint32),
        ("btf_key_type_id", c_uint32),
        ("btf_value_type_id", c_uint32),
        ("btf_vmlinux_id", c_uint32),
        ("map_extra", c_uint64),
        ("hash", c_uint64),
        ("hash_size", c_uint32),
        ("_pad0", c_uint32),
    ]


class bpf_btf_info(ctypes.Structure):
    _fields_ = [
        ("btf", c_uint64),
        ("btf_size", c_uint32),
        ("id", c_uint32),
        ("name", c_uint64),
        ("name_len", c_uint32),
        ("kernel_btf", c_uint32),
    ]


class btf_type(ctypes.Structure):
    _fields_ = [("name_off", c_uint32), ("info", c_uint32), ("size_or_type", c_uint32)]


class bpf_func_info(ctypes.Structure):
    _fields_ = [("insn_off", c_uint32), ("type_id", c_uint32)]


class bpf_line_info(ctypes.Structure):
    _fields_ = [("insn_off", c_uint32), ("file_name_off", c_uint32), ("line_off", c_uint32),
                ("line_col", c_uint32)]


class btf_enum(ctypes.Structure):
    _fields_ = [("name_off", c_uint32), ("val", c_int32)]


class bpf_get_fd_by_id_opts(ctypes.Structure):
    _fields_ = [("sz", c_size_t), ("open_flags", c_uint32), ("_pad", c_uint32)]


class bpf_obj_get_opts(ctypes.Structure):
    _fields_ = [("sz", c_size_t), ("file_flags", c_uint32), ("_pad", c_uint32)]


def cstr(raw):
    """A NUL-terminated char array as text; bytes that are not UTF-8 survive as escapes."""
    return bytes(raw).split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


class bpf_attr_query(ctypes.Structure):
    """union bpf_attr for BPF_PROG_QUERY (net): libbpf 1.1's bpf_prog_query_opts has no
    link_ids, so `net` issues the command itself."""

    _fields_ = [
        ("target_fd", c_uint32),  # or target_ifindex
        ("attach_type", c_uint32),
        ("query_flags", c_uint32),
        ("attach_flags", c_uint32),
        ("prog_ids", c_uint64),
        ("count", c_uint32),  # prog_cnt
        ("_pad0", c_uint32),
        ("prog_attach_flags", c_uint64),
        ("link_ids", c_uint64),
        ("link_attach_flags", c_uint64),
        ("revision", c_uint64),
    ]


# struct bpf_link_info (newest layout): type, id, prog_id, then one member per link type
def _struct(name, fields):
    return type(name, (ctypes.Structure,), {"_fields_": fields})


def _union(name, fields):
    return type(name, (ctypes.Union,), {"_fields_": fields})


_u32 = c_uint32
_u64 = c_uint64
_link_iter = _struct("bpf_link_info_iter", [
    ("target_name", _u64), ("target_name_len", _u32),
    ("map", _union("_iter_u1", [("map", _struct("_iter_map", [("map_id", _u32)]))])),
    ("target", _union("_iter_u2", [
        ("cgroup", _struct("_iter_cgroup", [("cgroup_id", _u64), ("order", _u32)])),
        ("task", _struct("_iter_task", [("tid", _u32), ("pid", _u32)]))])),
])
_link_perf_event = _struct("bpf_link_info_perf_event", [
    ("type", _u32), ("_pad0", _u32),
    ("u", _union("_perf_event_u", [
        ("uprobe", _struct("_pe_uprobe", [("file_name", _u64), ("name_len", _u32),
                                          ("offset", _u32), ("cookie", _u64),
                                          ("ref_ctr_offset", _u64)])),
        ("kprobe", _struct("_pe_kprobe", [("func_name", _u64), ("name_len", _u32),
                                          ("offset", _u32), ("addr", _u64), ("missed", _u64),
                                          ("cookie", _u64)])),
        ("tracepoint", _struct("_pe_tracepoint", [("tp_name", _u64), ("name_len", _u32),
                                                  ("_pad0", _u32), ("cookie", _u64)])),
        ("event", _struct("_pe_event", [("config", _u64), ("type", _u32), ("_pad0", _u32),
                                        ("cookie", _u64)])),
    ])),
])


class bpf_link_info(ctypes.Structure):
    _anonymous_ = ("u",)
    _fields_ = [
        ("type", _u32),
        ("id", _u32),
        ("prog_id", _u32),
        ("_pad0", _u32),  # the union is 8-byte aligned
        ("u", _union("bpf_link_info_u", [
            ("raw_tracepoint", _struct("_raw_tracepoint", [
                ("tp_name", _u64), ("tp_name_len", _u32), ("_pad0", _u32), ("cookie", _u64)])),
            ("tracing", _struct("_tracing", [
                ("attach_type", _u32), ("target_obj_id", _u32), ("target_btf_id", _u32),
                ("_pad0", _u32), ("cookie", _u64)])),
            ("cgroup", _struct("_cgroup", [("cgroup_id", _u64), ("attach_type", _u32)])),
            ("iter", _link_iter),
            ("netns", _struct("_netns", [("netns_ino", _u32), ("attach_type", _u32)])),
            ("xdp", _struct("_xdp", [("ifindex", _u32)])),
            ("struct_ops", _struct("_struct_ops", [("map_id", _u32)])),
            ("netfilter", _struct("_netfilter", [
                ("pf", _u32), ("hooknum", _u32), ("priority", c_int32), ("flags", _u32)])),
            ("kprobe_multi", _struct("_kprobe_multi", [
                ("addrs", _u64), ("count", _u32), ("flags", _u32), ("missed", _u64),
                ("cookies", _u64)])),
            ("uprobe_multi", _struct("_uprobe_multi", [
                ("path", _u64), ("offsets", _u64), ("ref_ctr_offsets", _u64), ("cookies", _u64),
                ("path_size", _u32), ("count", _u32), ("flags", _u32), ("pid", _u32)])),
            ("tracing_multi", _struct("_tracing_multi", [
                ("attach_type", _u32), ("count", _u32), ("btf_obj_id", _u32), ("_pad0", _u32),
                ("ids", _u64), ("addrs", _u64), ("cookies", _u64)])),
            ("perf_event", _link_perf_event),
            ("tcx", _struct("_tcx", [("ifindex", _u32), ("attach_type", _u32)])),
            ("netkit", _struct("_netkit", [("ifindex", _u32), ("attach_type", _u32)])),
            ("sockmap", _struct("_sockmap", [("map_id", _u32), ("attach_type", _u32)])),
        ])),
    ]


class bpf_prog_query_opts(ctypes.Structure):
    """libbpf's opts for bpf_prog_query_opts (newest layout; libbpf 1.1 knows the fields up
    to prog_attach_flags and accepts the zeroed rest)."""

    _fields_ = [
        ("sz", c_size_t),
        ("query_flags", c_uint32),
        ("attach_flags", c_uint32),
        ("prog_ids", ctypes.POINTER(c_uint32)),
        ("prog_cnt", c_uint32),
        ("prog_attach_flags", ctypes.POINTER(c_uint32)),
        ("link_ids", ctypes.POINTER(c_uint32)),
        ("link_attach_flags", ctypes.POINTER(c_uint32)),
        ("revision", c_uint64),
    ]


# feature probe: union bpf_attr for BPF_PROG_LOAD, BPF_MAP_CREATE and BPF_BTF_LOAD (the
# fields the probes set; the kernel reads the rest as zero)
class bpf_attr_prog_load(ctypes.Structure):
    _fields_ = [
        ("prog_type", c_uint32),
        ("insn_cnt", c_uint32),
        ("insns", c_uint64),
        ("license", c_uint64),
        ("log_level", c_uint32),
        ("log_size", c_uint32),
        ("log_buf", c_uint64),
        ("kern_version", c_uint32),
        ("prog_flags", c_uint32),
        ("prog_name", c_char * BPF_OBJ_NAME_LEN),
        ("prog_ifindex", c_uint32),
        ("expected_attach_type", c_uint32),
        ("prog_btf_fd", c_uint32),
        ("func_info_rec_size", c_uint32),
        ("func_info", c_uint64),
        ("func_info_cnt", c_uint32),
        ("line_info_rec_size", c_uint32),
        ("line_info", c_uint64),
        ("line_info_cnt", c_uint32),
        ("attach_btf_id", c_uint32),
        ("attach_prog_fd", c_uint32),
        ("core_relo_cnt", c_uint32),
        ("fd_array", c_uint64),
    ]


class bpf_attr_map_create(ctypes.Structure):
    _fields_ = [
        ("map_type", c_uint32),
        ("key_size", c_uint32),
        ("value_size", c_uint32),
        ("max_entries", c_uint32),
        ("map_flags", c_uint32),
        ("inner_map_fd", c_uint32),
        ("numa_node", c_uint32),
        ("map_name", c_char * BPF_OBJ_NAME_LEN),
        ("map_ifindex", c_uint32),
        ("btf_fd", c_uint32),
        ("btf_key_type_id", c_uint32),
        ("btf_value_type_id", c_uint32),
        ("btf_vmlinux_value_type_id", c_uint32),
        ("map_extra", c_uint64),
        ("value_type_btf_obj_fd", c_int32),
        ("map_token_fd", c_int32),
    ]


class bpf_attr_btf_load(ctypes.Structure):
    _fields_ = [
        ("btf", c_uint64),
        ("btf_log_buf", c_uint64),
        ("btf_size", c_uint32),
        ("btf_log_size", c_uint32),
        ("btf_log_level", c_uint32),
    ]


# the transient iterator of kernel/pid_iter.py: union bpf_attr for BPF_LINK_CREATE (with the
# iterator's iter_info, none here) and BPF_ITER_CREATE
class bpf_attr_link_create(ctypes.Structure):
    _fields_ = [
        ("prog_fd", c_uint32),
        ("target_fd", c_uint32),
        ("attach_type", c_uint32),
        ("flags", c_uint32),
        ("iter_info", c_uint64),
        ("iter_info_len", c_uint32),
        ("_pad", c_uint32),
    ]


class bpf_attr_iter_create(ctypes.Structure):
    _fields_ = [("link_fd", c_uint32), ("flags", c_uint32)]
