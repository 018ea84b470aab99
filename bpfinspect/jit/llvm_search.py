"""Where libLLVM may be, in the order it is tried (no ctypes: `version` asks this too)."""

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
    import glob

    found = []
    for d in _DIRS:
        found += glob.glob(os.path.join(d, "libLLVM-*.so*"))
        found += glob.glob(os.path.join(d, "libLLVM.so.*"))
    found += glob.glob("/usr/lib/llvm-*/lib/libLLVM*.so*")
    yield from sorted(set(found), key=_version, reverse=True)


def _has_libllvm(folder, exact_prefix=False):
    """Whether `folder` holds a libLLVM shared library: a `libLLVM-*.so*` or `libLLVM.so*`
    file, or with `exact_prefix` any `libLLVM*.so*`. One scandir, no glob: `version` asks."""
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name.startswith("libLLVM") and ".so" in name and (
                        exact_prefix or name.startswith(("libLLVM-", "libLLVM.so"))):
                    return True
    except OSError:
        pass
    return False


def installed():
    """Whether some libLLVM is installed (looked for, not loaded; stops at the first)."""
    env = os.environ.get("BPFINSPECT_LIBLLVM")
    if env:
        return os.path.exists(env)
    try:  # LLVM's own folders first: they are short to list
        versions = [e.path for e in os.scandir("/usr/lib") if e.name.startswith("llvm-")]
    except OSError:
        versions = []
    if any(_has_libllvm(os.path.join(v, "lib"), exact_prefix=True) for v in versions):
        return True
    return any(_has_libllvm(d) for d in _DIRS)
