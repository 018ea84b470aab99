"""The only package that talks to the kernel: libbpf through ctypes, and procfs."""
