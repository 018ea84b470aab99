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
PROC_MOUNTS = "/proc/mounts"
BPF_FS_MAGIC = 0xCAFE4A11

# bpftool's prefix of the read-only variables that `prog show` lists as metadata
METADATA_PREFIX = "bpf_metadata_"
