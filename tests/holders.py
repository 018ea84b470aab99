"""Processes that hold BPF objects, for the `pids` tests and for timing the owners lookup on
a busy host:

    python -m tests.holders COUNT FDS COMM_HEX PIN...

opens each pinned object (or BTF object, given as btf:ID), forks COUNT processes named COMM (hex, so that any bytes can be
given: newlines, escapes, invalid UTF-8), each holding FDS file descriptors spread over the
objects (dup'd), prints their pids as JSON on one line, and keeps them until its stdin
closes (they exit then, as their pipe from it closes)."""

import ctypes
import json
import os
import subprocess
import sys

from tests.nethooks import obj_get, sys_bpf, u32s

PR_SET_NAME = 15
BPF_BTF_GET_FD_BY_ID = 19


def _child(fds, count, comm, gate, ready):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_NAME, ctypes.c_char_p(comm), 0, 0, 0)
    held = [os.dup(fds[i % len(fds)]) for i in range(count - len(fds))]
    del held  # the dups stay open: only os.close frees an fd number
    os.write(ready, b".")
    os.close(ready)
    os.read(gate, 1)  # EOF when the parent exits
    os._exit(0)


def _open(what):
    """A pinned object, or `btf:ID` (BTF objects cannot be pinned)."""
    if what.startswith("btf:"):
        return sys_bpf(BPF_BTF_GET_FD_BY_ID, u32s(int(what[4:]), 0, 0))[0]
    return obj_get(what)


def main(argv):
    count, fds_each, comm = int(argv[0]), int(argv[1]), bytes.fromhex(argv[2])
    fds = [_open(what) for what in argv[3:]]
    gate, keep = os.pipe()
    told, ready = os.pipe()
    pids = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            os.close(keep)
            os.close(told)
            _child(fds, max(fds_each, len(fds)), comm, gate, ready)
        pids.append(pid)
    os.close(gate)
    os.close(ready)
    done = 0
    while done < count:  # every child named and holding its fds
        got = os.read(told, count - done)
        if not got:
            break
        done += len(got)
    os.close(told)
    for fd in fds:
        os.close(fd)
    print(json.dumps(pids), flush=True)
    sys.stdin.read()
    os.close(keep)
    for pid in pids:
        os.waitpid(pid, 0)


def iter_link(name=b"pids_test"):
    """(program fd, link fd) of a task_file iterator link, bpfinspect's own program under
    another name: a link any kernel with the iterator lets a test hold."""
    from bpfinspect import constants as C
    from bpfinspect.kernel import pid_iter, syscalls, uapi

    target_id, ctx, off = pid_iter.layout()
    prog_fd = pid_iter._load(pid_iter.program("prog", os.getpid(), ctx, off), target_id,
                             log=True, name=name)
    link_fd = syscalls.bpf(pid_iter.BPF_LINK_CREATE, uapi.bpf_attr_link_create(
        prog_fd=prog_fd, attach_type=C.BPF_TRACE_ITER))
    if link_fd < 0:
        os.close(prog_fd)
        raise OSError(-link_fd, "BPF_LINK_CREATE: " + os.strerror(-link_fd))
    return prog_fd, link_fd


class Holders:
    """`with Holders(pins, count, fds, comm) as pids:` the holder processes, gone after."""

    def __init__(self, pins, count=1, fds=1, comm=b"holder"):
        self.args = [str(count), str(fds), comm.hex(), *pins]

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.holders", *self.args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     cwd=os.path.dirname(os.path.dirname(__file__)))
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            raise OSError("tests.holders failed")
        return json.loads(line)

    def __exit__(self, *exc):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


if __name__ == "__main__":
    main(sys.argv[1:])
