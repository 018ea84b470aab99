"""`btf dump ... format c`: libbpf's C for the types, framed as the newest bpftool frames
vmlinux.h (btf.c, dump_btf_c): the include guard, preserve_access_index, the __ksym, __weak
and __bpf_fastcall macros, then the types (sorted, or in id order), then the BPF kfuncs."""

HEADER = """#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

#ifndef __ksym
#define __ksym __attribute__((section(".ksyms")))
#endif

#ifndef __weak
#define __weak __attribute__((weak))
#endif

#ifndef __bpf_fastcall
#if __has_attribute(bpf_fastcall)
#define __bpf_fastcall __attribute__((bpf_fastcall))
#else
#define __bpf_fastcall
#endif
#endif

"""

FOOTER = """#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
"""


def write(source, btf, sort=True):
    """The header of `btf` (btf.Btf) on stdout; `source` holds the blob that libbpf loads
    (and its base). With root ids, only those types and what they need, and no kfuncs."""
    from bpfinspect.btf import sort as order
    from bpfinspect.kernel.btfc import CDump

    base = None
    try:
        if source.base_path:
            with open(source.base_path, "rb") as f:
                base = CDump(f.read())
        with CDump(source.data, base) as dump:
            dump.open()
            dump.write(HEADER)
            if source.roots:
                for root in source.roots:
                    dump.dump_type(root)
            else:
                ids = order.order(btf) if sort else range(1, dump.count())
                for type_id in ids:
                    dump.dump_type(type_id)
                dump.write("\n/* BPF kfuncs */\n#ifndef BPF_NO_KFUNC_PROTOTYPES\n")
                for func_id, name, fastcall in order.kfuncs(
                        btf, lambda i: dump.describe(i)[:2]):
                    dump.write("extern __bpf_fastcall " if fastcall else "extern ")
                    dump.emit_decl(dump.describe(func_id)[2], name)
                    dump.write(" __weak __ksym;\n")
                dump.write("#endif\n\n")
            dump.write(FOOTER)
    finally:
        if base is not None:
            base.close()
