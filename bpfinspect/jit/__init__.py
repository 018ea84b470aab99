"""Native code: disassembling the JIT image with LLVM's C disassembler API (the engine the
newest bpftool uses), or capstone when no libLLVM is installed."""
