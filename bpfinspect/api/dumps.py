"""What the dumps build from an open object, shared by the API's methods and the command
line: instructions, JIT code, control-flow graphs, map layouts and entries, BTF. The JIT
disassembler and the BTF dumper are imported where they are used: most dumps need
neither."""

from bpfinspect import model
from bpfinspect.errors import BpfError
from bpfinspect.isa import cfg as cfg_passes
from bpfinspect.kernel import code, info, maps, records
from bpfinspect.views.prog import type_text


def xlated_of(obj, program):
    """model.Xlated of the open program `obj`, whose record is `program`."""
    return code.xlated(obj.fd, program)


def jited_of(obj, program):
    """model.Jited of the open program `obj`, disassembled by LLVM (or capstone)."""
    from bpfinspect.jit.backend import disassembler
    from bpfinspect.jit.listing import disassembled

    jited = code.jited(obj.fd, program)
    dis = disassembler()
    try:
        return disassembled(dis, jited)
    finally:
        dis.close()


def program_image(obj, jited=False):
    """The raw xlated (or JIT) image of the open program `obj`."""
    image = code.jited_code(obj.fd).jited if jited else code.program_code(obj.fd).xlated
    if not image:
        raise BpfError("error retrieving insn dump: kernel.kptr_restrict set?")
    return image


def control_flow(xlated):
    """model.Cfg of model.Xlated `xlated`: functions split where calls and BTF func_info
    say, then basic blocks and edges."""
    return model.Cfg(xlated=xlated, funcs=cfg_passes.build(xlated.image,
                                                             [off for off, _ in xlated.protos]))


def map_label(m):
    """How errors name a map: 'name' (id 5, hash)."""
    return "%s (id %u, %s)" % ("'%s'" % m.name if m.name else "<anon>", m.id, type_text(m.type))


def map_info_of(obj):
    """bpf_map_info of the open map `obj`."""
    return info.map_info(obj.fd)


def prog_info_of(obj):
    """bpf_prog_info of the open program `obj`."""
    return info.prog_info(obj.fd)[0]


def map_reader(obj, map_info=None):
    """A kernel.maps.MapReader of the open map `obj`."""
    return maps.MapReader(obj.fd, map_info or info.map_info(obj.fd))


def map_dump(obj):
    """model.MapDump of the open map `obj`: its entries are read as they are iterated.
    An error saying why for map types whose entries cannot be listed."""
    map_info, lay = map_layout(obj)
    maps.check_dumpable(map_info, map_label(lay.map))
    return model.MapDump(layout=lay, chunks=maps.chunks(map_reader(obj, map_info), lay))


def map_layout(obj):
    """(bpf_map_info, model.MapLayout) of an open map."""
    map_info = info.map_info(obj.fd)
    found = records.Lookups("map", owners=False)
    record = records.map_record(obj.fd, found, map_info)
    return map_info, maps.layout(obj.fd, map_info, record)


def load_btf(btf_id):
    """The BTF object `btf_id` parsed and checked (over vmlinux for a module's)."""
    from bpfinspect.api import btfdump

    return btfdump.load(btfdump.kernel_source(btf_id))
