"""Typed errors raised by the kernel layer, built from errno in one place."""

import errno as _errno
import os


class BpfError(Exception):
    """A failure bpfinspect reports as bpftool does: one line, exit status 255."""

    exit_status = 255

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


class LibbpfMissing(BpfError):
    """libbpf.so.1 could not be loaded."""


class UsageError(BpfError):
    """The command line is wrong."""


_CAPABILITY_HINT = " (CAP_SYS_ADMIN is needed to inspect BPF objects: run as root, e.g. with sudo)"


def describe(err):
    """strerror() text, the way bpftool prints it."""
    return os.strerror(err)


def from_errno(err, message, suffix=""):
    """Exception for a failed call; `message` is the bpftool-style prefix."""
    text = "%s: %s%s" % (message, describe(err), suffix)
    if err == _errno.ENOENT:
        return NoSuchObject(text, err)
    if err in (_errno.EPERM, _errno.EACCES):
        return AccessDenied(text + _CAPABILITY_HINT, err)
    return BpfError(text, err)
