"""bpfinspect: what BPF is doing inside the running kernel."""

__version__ = "0.1.0"
