"""BTF: the parser (types, strings, split BTF over a base) and what is built on it.

Pure Python over bytes; the kernel layer fetches the blobs."""

from bpfinspect.btf.parser import Btf, BtfError, Type  # noqa: F401
