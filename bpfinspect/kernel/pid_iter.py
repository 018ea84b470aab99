"""Which processes hold BPF objects, asked of the kernel with a transient `task_file` BPF
iterator (what bpftool's pid_iter skeleton does, assembled here without clang).

The program runs once per open file of every process and writes a 24-byte record
(tgid, object id, comm of the thread group leader) for each file that is a BPF object of
the kind asked for. A file is one when it is what /proc/PID/fd/N reads back as
`anon_inode:bpf-prog` (and so on), the same test procfs.owners() makes: its inode is on
the anon-inode file system (s_magic ANON_INODE_FS_MAGIC) and its dentry is named
`bpf-prog`, `bpf-map`, `bpf_link` or `bpf-link` (a link opened from a pin or an id), or
`btf`. That needs no address of bpf_prog_fops and the others, which kallsyms lacks without
CONFIG_KALLSYMS_ALL (bpftool 7.8 prints no pids there), and it finds links whatever fops
their type uses (bpf_link_fops_poll). A process's further fds of the object it has just
reported are skipped in the kernel (see program()), so 20 fds of one program cost one
record, not twenty.

Field offsets come from the kernel's BTF; the program is loaded, linked, read to the end
and closed at once (iterator, link, then program, so that no id outlives the call), and
nothing else in the kernel changes. Every failure is an OSError or a LookupError;
kernel/owners.py falls back on the /proc walk then.
"""

import ctypes
import errno
import os
import struct

from bpfinspect import constants as C
from bpfinspect.isa import asm
from bpfinspect.isa import encoding as E
from bpfinspect.kernel import procfs, syscalls, uapi
from bpfinspect.kernel.vmlinux import VmlinuxBtf

BPF_PROG_LOAD, BPF_LINK_CREATE, BPF_ITER_CREATE = 5, 28, 33
ANON_INODE_FS_MAGIC = 0x09041934  # include/uapi/linux/magic.h
TARGET = "bpf_iter_task_file"  # "bpf_iter_" + the iterator's name: the FUNC to attach to
PROG_NAME = b"bpfinspect_pids"

_PROBE_READ_KERNEL = C.HELPER_NAMES.index("probe_read_kernel")
_SEQ_WRITE = C.HELPER_NAMES.index("seq_write")
RECORD = struct.Struct("=II16s")  # tgid, object id, comm (TASK_COMM_LEN)
_READ_SIZE = 1 << 20
_LOG_SIZE = 1 << 16

# the struct behind each kind's private_data, and the pointers from it to the object's id
ID_PATHS = {
    "prog": (("bpf_prog", "aux"), ("bpf_prog_aux", "id")),
    "map": (("bpf_map", "id"),),
    "link": (("bpf_link", "id"),),
    "btf": (("btf", "id"),),
}

# (struct, field) the program reads besides the id paths
FIELDS = (("file", "f_path.dentry"), ("file", "f_inode"), ("file", "private_data"),
          ("inode", "i_sb"), ("super_block", "s_magic"), ("dentry", "d_name.len"),
          ("dentry", "d_name.name"), ("task_struct", "tgid"),
          ("task_struct", "group_leader"), ("task_struct", "comm"), ("bpf_iter_meta", "seq"),
          ("seq_file", "buf"), ("seq_file", "count"))

_layout = None  # (target id, ctx offsets, field offsets), found once per process


def layout():
    """(attach_btf_id, {ctx argument: offset}, {(struct, field): offset}) from vmlinux BTF,
    looked up once per process (`prog top` and the exporter ask again and again)."""
    global _layout
    if _layout is None:
        with VmlinuxBtf() as btf:
            target_id, params = btf.func(TARGET)
            ctx = {name: 8 * i for i, name in enumerate(params)}  # one u64 per argument
            if not {"meta", "task", "file"} <= set(ctx):
                raise LookupError("%s has other arguments: %s" % (TARGET, params))
            wanted = set(FIELDS) | {step for path in ID_PATHS.values() for step in path}
            offsets = {(s, f): btf.offset(s, f) for s, f in sorted(wanted)}
        _layout = (target_id, ctx, offsets)
    return _layout


def _anon_names(kind):
    """(length, mask, value) of each dentry name `kind`'s files have: the mask and value
    of its first eight bytes as one native u64 (the program reads eight bytes and
    compares once)."""
    out = []
    for inode in procfs.ANON_INODES[kind][0]:
        name = inode.split(":", 1)[1].encode()
        if len(name) > 8:
            raise LookupError("anon inode name longer than 8 bytes: %r" % name)
        mask = (b"\xff" * len(name)).ljust(8, b"\0")
        out.append((len(name), struct.unpack("=Q", mask)[0],
                    struct.unpack("=Q", name.ljust(8, b"\0"))[0]))
    return out


def program(kind, me, ctx, off):
    """The instructions: one record per file of `kind` held by any process but `me`.

    r6 is the context, r7 the file, r8 the task (both may be NULL: the verifier makes the
    program check). Loads through typed kernel pointers (file, task, inode, dentry) are
    checked by the verifier against BTF and cannot fault; what is behind a void or char
    pointer (private_data, the dentry's name, the output buffer) is read with
    bpf_probe_read_kernel. Stack: fp-24 tgid, fp-20 id, fp-16 comm (the record), fp-8 and
    fp-32 scratch.
    """
    R0, R1, R2, R3, R6, R7, R8, R9, FP = (asm.R0, asm.R1, asm.R2, asm.R3, asm.R6, asm.R7,
                                          asm.R8, asm.R9, asm.FP)
    p = asm.Program()
    p.add(asm.mov64_reg(R6, R1),
          asm.ldx_mem(8, R7, R6, ctx["file"])).jump_imm(E.JEQ, R7, 0, "out")
    p.add(asm.ldx_mem(8, R8, R6, ctx["task"])).jump_imm(E.JEQ, R8, 0, "out")
    p.add(asm.ldx_mem(4, R1, R8, off["task_struct", "tgid"])).jump_imm(E.JEQ, R1, me, "out")
    p.add(asm.stx_mem(4, FP, R1, -24))
    # on the anon-inode file system?
    p.add(asm.ldx_mem(8, R1, R7, off["file", "f_inode"]),
          asm.ldx_mem(8, R1, R1, off["inode", "i_sb"]),
          asm.ldx_mem(8, R1, R1, off["super_block", "s_magic"]))
    p.jump_imm(E.JNE, R1, ANON_INODE_FS_MAGIC, "out")
    # named as `kind`'s files are?
    names = _anon_names(kind)
    p.add(asm.ldx_mem(8, R1, R7, off["file", "f_path.dentry"]),
          asm.ldx_mem(4, R9, R1, off["dentry", "d_name.len"]))
    for length in sorted({length for length, _mask, _value in names}):
        p.jump_imm(E.JEQ, R9, length, "named")
    p.jump_imm(E.JA, 0, 0, "out")
    p.label("named")
    p.add(asm.ldx_mem(8, R3, R1, off["dentry", "d_name.name"]),
          *_probe_read(-8, 8),
          asm.ldx_mem(8, R1, FP, -8))
    for i, (length, mask, value) in enumerate(names):
        p.jump_imm(E.JNE, R9, length, "name%d" % i)
        p.add(asm.ld_imm64(R2, mask), asm.alu64_reg(E.AND, R2, R1), asm.ld_imm64(R3, value))
        p.jump_reg(E.JEQ, R2, R3, "matched")
        p.label("name%d" % i)
    p.jump_imm(E.JA, 0, 0, "out")
    p.label("matched")
    # the object's id: private_data, through the pointers of its kind
    p.add(asm.ldx_mem(8, R3, R7, off["file", "private_data"]))
    *hops, last = ID_PATHS[kind]
    for hop in hops:
        p.add(asm.alu64_imm(E.ADD, R3, off[hop]), *_probe_read(-8, 8),
              asm.ldx_mem(8, R3, FP, -8))
    p.add(asm.alu64_imm(E.ADD, R3, off[last]), *_probe_read(-20, 4))
    # the same process and object as the record before it in the output buffer (another
    # fd of it)? Then nothing to write. The buffer holds only whole records of this read
    # from its start (bpf_seq_read), so its last eight bytes at count are the last
    # record's (tgid, id); after a flush a duplicate goes out, and owners() drops it.
    p.add(asm.ldx_mem(8, R9, R6, ctx["meta"]),
          asm.ldx_mem(8, R9, R9, off["bpf_iter_meta", "seq"]),
          asm.ldx_mem(8, R2, R9, off["seq_file", "count"]))
    p.jump_imm(E.JLT, R2, RECORD.size, "new")
    p.add(asm.ldx_mem(8, R3, R9, off["seq_file", "buf"]),
          asm.alu64_reg(E.ADD, R3, R2), asm.alu64_imm(E.ADD, R3, -RECORD.size),
          *_probe_read(-32, 8),
          asm.ldx_mem(8, R1, FP, -32), asm.ldx_mem(8, R2, FP, -24))
    p.jump_reg(E.JEQ, R1, R2, "out")
    p.label("new")
    # the comm /proc/PID/comm shows: the thread group leader's
    p.add(asm.ldx_mem(8, R3, R8, off["task_struct", "group_leader"]),
          asm.alu64_imm(E.ADD, R3, off["task_struct", "comm"]), *_probe_read(-16, 16))
    p.add(asm.mov64_reg(R1, R9),
          asm.mov64_reg(R2, FP), asm.alu64_imm(E.ADD, R2, -RECORD.size),
          asm.mov64_imm(R3, RECORD.size), asm.call(_SEQ_WRITE))
    p.label("out").add(asm.mov64_imm(R0, 0), asm.exit_insn())
    return p.code()


def _probe_read(at, size):
    """bpf_probe_read_kernel(fp + at, size, r3)"""
    return (asm.mov64_reg(asm.R1, asm.FP), asm.alu64_imm(E.ADD, asm.R1, at),
            asm.mov64_imm(asm.R2, size), asm.call(_PROBE_READ_KERNEL))


def _check(ret, what):
    if ret < 0:
        raise OSError(-ret, "%s: %s" % (what, os.strerror(-ret)))
    return ret


def _load(code, target_id, log=False, name=PROG_NAME):
    insns = ctypes.create_string_buffer(code, len(code))
    gpl = ctypes.create_string_buffer(b"GPL")
    attr = uapi.bpf_attr_prog_load(
        prog_type=C.BPF_PROG_TYPE_TRACING, insn_cnt=len(code) // 8,
        insns=ctypes.addressof(insns), license=ctypes.addressof(gpl),
        prog_name=name, expected_attach_type=C.BPF_TRACE_ITER, attach_btf_id=target_id)
    buf = None
    if log:
        buf = ctypes.create_string_buffer(_LOG_SIZE)
        attr.log_level, attr.log_size, attr.log_buf = 1, _LOG_SIZE, ctypes.addressof(buf)
    for _ in range(5):  # as libbpf, again on EAGAIN
        fd = syscalls.bpf(BPF_PROG_LOAD, attr)
        if fd != -errno.EAGAIN:
            break
    if fd < 0 and log:
        raise OSError(-fd, "BPF_PROG_LOAD: %s\n%s" % (os.strerror(-fd),
                                                      buf.value.decode("utf-8", "replace")))
    return fd


def records(kind):
    """The raw records the iterator writes for `kind`, as bytes."""
    target_id, ctx, off = layout()
    code = program(kind, os.getpid(), ctx, off)
    prog_fd = link_fd = iter_fd = -1
    try:
        prog_fd = _load(code, target_id)
        if prog_fd in (-errno.EINVAL, -errno.EACCES):  # the verifier's: again, for its word
            prog_fd = _load(code, target_id, log=True)
        _check(prog_fd, "BPF_PROG_LOAD")
        link_fd = _check(syscalls.bpf(BPF_LINK_CREATE, uapi.bpf_attr_link_create(
            prog_fd=prog_fd, attach_type=C.BPF_TRACE_ITER)), "BPF_LINK_CREATE")
        iter_fd = _check(syscalls.bpf(BPF_ITER_CREATE, uapi.bpf_attr_iter_create(
            link_fd=link_fd)), "BPF_ITER_CREATE")
        chunks = []
        while True:
            chunk = os.read(iter_fd, _READ_SIZE)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        for fd in (iter_fd, link_fd, prog_fd):
            if fd >= 0:
                os.close(fd)


def owners(kind):
    """{object id: [(pid, comm), ...]} as procfs.owners(kind) gives it, from the iterator."""
    data = records(kind)
    if len(data) % RECORD.size:
        raise OSError(errno.EIO, "iterator records cut short")
    held = sorted(set(RECORD.iter_unpack(data)))  # one per process and object, pid order
    comms = {}
    table = {}
    for pid, obj_id, comm in held:
        if not obj_id:
            continue  # the object went away while it was read
        name = comms.get(pid)
        if name is None:
            name = comms[pid] = comm.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
        refs = table.setdefault(obj_id, [])
        if not refs or refs[-1][0] != pid:
            refs.append((pid, name))
    return table
