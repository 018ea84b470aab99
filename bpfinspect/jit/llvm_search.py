"""Where libLLVM may be, in the order it is tried (no ctypes: `version` asks this too)."""

import glob
import os

_DIRS = ("/usr/lib/%s-linux-gnu" % os.uname().machine, "/usr/lib64", "/usr/lib",
         "/usr/local/lib")


def _version(path):
    """The numbers in a library's file name, for newest-first order."""
    out, digits = [], ""
    for ch in os.path.basename(path) + ".":
        if ch.isdigit():
            digits += ch
        elif digits:
            out.append(int(digits))
            digits = ""
    return out or [0]


def candidates():
    """$BPFINSPECT_LIBLLVM alone; else the dynamic linker's libLLVM.so, then the installed
    versioned libraries, newest first."""
    env = os.environ.get("BPFINSPECT_LIBLLVM")
    if env:
        yield env
        return
    yield "libLLVM.so"
    found = []
    for d in _DIRS:
        found += glob.glob(os.path.join(d, "libLLVM-*.so*"))
        found += glob.glob(os.path.join(d, "libLLVM.so.*"))
    found += glob.glob("/usr/lib/llvm-*/lib/libLLVM*.so*")
    yield from sorted(set(found), key=_version, reverse=True)


def installed():
    """Whether some libLLVM is installed (looked for, not loaded; stops at the first)."""
    env = os.environ.get("BPFINSPECT_LIBLLVM")
    if env:
        return os.path.exists(env)
    for d in _DIRS:
        for pattern in ("libLLVM-*.so*", "libLLVM.so*"):
            if next(glob.iglob(os.path.join(d, pattern)), None):
                return True
    return next(glob.iglob("/usr/lib/llvm-*/lib/libLLVM*.so*"), None) is not None
