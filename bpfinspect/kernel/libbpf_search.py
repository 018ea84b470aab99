"""Where libbpf.so.1 is looked for; no ctypes here, so `version` stays cheap."""

import os

_SEARCH_DIRS = (
    "/usr/lib64",
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib",
    "/usr/local/lib64",
    "/usr/local/lib",
)
SONAME = "libbpf.so.1"


def candidates():
    """Where libbpf is looked for, in order."""
    override = os.environ.get("BPFINSPECT_LIBBPF")
    if override:
        return [override]
    return [SONAME] + [os.path.join(d, SONAME) for d in _SEARCH_DIRS]


def version_without_loading():
    """(major, minor) read from the name the library file really has (libbpf.so.1.1.2), so
    that `version` need not load ctypes; None when the name does not tell."""
    if os.environ.get("BPFINSPECT_LIBBPF"):
        return None
    for path in candidates()[1:]:
        real = os.path.basename(os.path.realpath(path))
        parts = real[len(SONAME) - 1:].split(".")
        if real.startswith(SONAME[:-1]) and len(parts) >= 2 and all(p.isdigit() for p in parts[:2]):
            return int(parts[0]), int(parts[1])
    return None
