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
