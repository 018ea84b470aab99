"""What bpfinspect knows about kernel objects: built once by the query layer, read by formatters.

A field is None where the kernel (or procfs) did not tell.
"""

from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class Owner:
    """A process holding a file descriptor of the object."""

    pid: int
    comm: str


@dataclass(frozen=True)
class Device:
    """The device an offloaded program or map is bound to."""

    ifindex: int
    ns_dev: int
    ns_inode: int
    ifname: Optional[str]


@dataclass(frozen=True)
class Program:
    id: int
    type: int
    type_name: Optional[str]  # None: libbpf does not know this type
    name: str  # the full name (from BTF func info when the kernel cut it)
    tag: str
    gpl_compatible: bool
    run_time_ns: int
    run_cnt: int
    recursion_misses: int
    device: Optional[Device]
    loaded_at: Optional[int]  # epoch seconds; None when the kernel gave no load time
    uid: int
    orphaned: bool
    bytes_xlated: int
    bytes_jited: int  # 0: not JIT-compiled
    bytes_memlock: Optional[int]
    map_ids: tuple[int, ...]
    btf_id: int
    pinned: Optional[tuple[str, ...]] = None  # None: pins were not looked up
    pids: tuple[Owner, ...] = field(default=())


@dataclass(frozen=True)
class Map:
    id: int
    type: int
    type_name: Optional[str]
    name: str
    flags: int
    device: Optional[Device]
    bytes_key: int
    bytes_value: int
    max_entries: int
    bytes_memlock: Optional[int]
    owner_prog_type: Optional[int]  # prog arrays only
    owner_prog_type_name: Optional[str]
    owner_jited: Optional[bool]
    frozen: int
    btf_id: int
    pinned: Optional[tuple[str, ...]] = None
    pids: tuple[Owner, ...] = field(default=())


@dataclass(frozen=True)
class Btf:
    id: int
    size: int
    name: str
    kernel: bool
    prog_ids: tuple[int, ...]
    map_ids: tuple[int, ...]
    pids: tuple[Owner, ...] = field(default=())


@dataclass(frozen=True)
class SourceLine:
    """One line_info record: the source line that instructions from `insn_off` come from."""

    insn_off: int
    text: Optional[str]  # None: the record's string is missing from the BTF
    file: Optional[str]
    line_num: int
    line_col: int


@dataclass(frozen=True)
class Xlated:
    """A program's instructions as the verifier left them, with what annotates them.

    insns: isa.insn.Insn list; protos: (insn_off, C prototype or "") per func_info record;
    lines: SourceLine per line_info record, in the kernel's order; symbols: the
    isa.printer.Symbols that name calls and immediates; image: the raw bytes."""

    program: Program
    insns: list
    protos: tuple
    lines: tuple
    symbols: object
    image: bytes
