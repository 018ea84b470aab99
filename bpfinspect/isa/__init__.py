"""eBPF instructions: decoding (insn), the kernel's text for them (printer), and control flow
(cfg). Pure Python over bytes: nothing here touches the kernel."""
