"""BTF: the parser (types, strings, split BTF over a base), prototypes, values formatted by
their type (bpftool's BTF dumper), and bpftool 7.8's order for C headers.

Pure Python over bytes; the kernel layer fetches the blobs."""
