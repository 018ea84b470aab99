"""Every error bpfinspect raises, in one hierarchy, and the exit status each one leaves with.

The command line prints an error as one line (`Error: ...`, or `{"error": ...}` with -j) and
exits with `exit_status`; the Python API raises the same exceptions. Exit statuses follow
bpftool, which returns a negated errno from main() where it has one (so the shell sees
256 - errno): see EXIT_STATUSES.
"""

import errno as _errno
import os

from bpfinspect.constants import CAP_BPF, CAP_SYS_ADMIN

EXIT_FAILURE = 255  # bpftool's -1: any error without an errno of its own
EXIT_NOT_FOUND = 254  # -ENOENT: `map lookup`/`getnext` found no entry
EXIT_INVALID = 234  # -EINVAL: `btf dump` options and BTF that cannot be loaded
EXIT_NOT_SUPPORTED = 161  # -EOPNOTSUPP: `-j btf dump ... format c`
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_DIFFERENT = 1  # `prog diff`, `map diff`: they differ, as diff(1)

EXIT_STATUSES = {
    0: "success",
    EXIT_DIFFERENT: "prog diff, map diff: the programs or maps differ (as diff)",
    EXIT_FAILURE: "an error: bad input, a missing or vanished object, no privileges, ...",
    EXIT_NOT_FOUND: "map lookup, peek or getnext: no such entry; btf dump: no such file",
    EXIT_INVALID: "btf dump: invalid options, or BTF that cannot be loaded",
    EXIT_NOT_SUPPORTED: "btf dump ... format c with -j: there is no JSON for C",
    EXIT_INTERRUPTED: "interrupted by Ctrl-C, at any moment from start-up on: never a traceback "
                      "(JSON output is still closed)",
}
# Elsewhere, as bpftool, 256 - errno where a failed call's errno is returned: btf dump of a
# file that cannot be read, a map lookup that fails otherwise than with ENOENT.


def status_of_errno(err):
    """The exit status bpftool leaves with when main() returns -err."""
    return (256 - err) & 0xFF


class BpfError(Exception):
    """Anything bpfinspect reports: one line, `exit_status` (255 unless said otherwise)."""

    exit_status = EXIT_FAILURE

    def __init__(self, message, err=0, exit_status=None):
        super().__init__(message)
        self.message = message
        self.errno = err
        if exit_status is not None:
            self.exit_status = exit_status


class NoSuchObject(BpfError):
    """The object does not exist, or went away (ENOENT)."""


class AccessDenied(BpfError):
    """The caller lacks a capability (EPERM/EACCES)."""


class UsageError(BpfError):
    """The command line (or an API call's arguments) is wrong."""


class LibraryMissing(BpfError):
    """A shared library bpfinspect needs could not be loaded (libbpf.so.1, a disassembler)."""


class CorruptInput(BpfError):
    """Input that cannot be what it claims to be: a malformed BTF blob, a value that does not
    fit its type."""


class BtfError(CorruptInput):
    """The BTF is malformed."""


class FormatError(BtfError):
    """Data cannot be formatted by its BTF type (bpftool: "btf dump failed")."""


def strerror(err):
    """strerror() text, the way bpftool prints it."""
    return os.strerror(err)


_CAPABILITY_HINT = " (CAP_SYS_ADMIN is needed to inspect BPF objects: run as root, e.g. with sudo)"


def _lacks_capability():
    """True unless the process holds CAP_SYS_ADMIN or CAP_BPF: an EPERM with them is the
    kernel refusing something else (bpffs refuses names with a dot), where the hint would
    mislead."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapEff:"):
                    caps = int(line.split()[1], 16)
                    return not caps & (1 << CAP_SYS_ADMIN | 1 << CAP_BPF)
    except (OSError, ValueError, IndexError):
        pass
    return True


def from_errno(err, message, suffix=""):
    """Exception for a failed call; `message` is the bpftool-style prefix."""
    text = "%s: %s%s" % (message, strerror(err), suffix)
    if err == _errno.ENOENT:
        return NoSuchObject(text, err)
    if err in (_errno.EPERM, _errno.EACCES):
        return AccessDenied(text + (_CAPABILITY_HINT if _lacks_capability() else ""), err)
    return BpfError(text, err)
