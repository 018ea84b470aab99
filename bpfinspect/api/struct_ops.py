"""`struct_ops { show | dump }`: struct_ops maps (BPF implementations of kernel structures such
as tcp_congestion_ops), found by walking the maps as bpftool does. Needs vmlinux BTF."""

from bpfinspect.btfparse.values import format_value
from bpfinspect.kernel import structops
from bpfinspect.model import StructOpsDump


def struct_ops_maps(name=None):
    """model.StructOps of every struct_ops map, or of those named `name` (exactly)."""
    with structops.Vmlinux() as vm:
        return list(structops.records(vm, name))


def struct_ops_map(map_id):
    """model.StructOps of the struct_ops map `map_id` (an error for another map type)."""
    with structops.Vmlinux() as vm:
        obj, _raw, info = structops.open_one(map_id)
        with obj:
            return structops.record(vm, info)


def iter_shown(map_id=None, name=None):
    """What `struct_ops show` lists, produced as the maps are walked (the map `map_id` is
    opened, and its errors raised, before this returns)."""
    vm = structops.Vmlinux()
    try:
        if map_id is not None:
            obj, _raw, info = structops.open_one(map_id)
            with obj:
                one = structops.record(vm, info)
            vm.close()
            return iter((one,))
    except BaseException:
        vm.close()
        raise
    return _walk_shown(vm, name)


def _walk_shown(vm, name):
    with vm:
        yield from structops.records(vm, name)


def _dump(vm, map_info_type, obj, raw, info):
    btf = vm.parsed()
    value = structops.value(obj.fd, info)
    names = {}

    def collect(prog_id):
        if prog_id not in names:
            names[prog_id] = structops.prog_func_name(prog_id)
        return names[prog_id]

    format_value(btf, info.btf_vmlinux_value_type_id, value, False, prog_name=collect)
    return StructOpsDump(btf=btf, map_info_type_id=map_info_type[0], map_info=raw,
                         value_type_id=info.btf_vmlinux_value_type_id,
                         value_name=vm.type_name(info.btf_vmlinux_value_type_id), value=value,
                         prog_names=names)


def iter_dumps(map_id=None, name=None):
    """model.StructOpsDump per struct_ops map (the one `map_id`, or those named `name`, or
    all), produced as the maps are walked (vmlinux BTF is loaded, and the map `map_id`
    opened, before this returns)."""
    vm = structops.Vmlinux()
    try:
        map_info_type = vm.map_info_type()
        one = structops.open_one(map_id, map_info_type[1]) if map_id is not None else None
    except BaseException:
        vm.close()
        raise
    return _walk_dumps(vm, map_info_type, one, name)


def _walk_dumps(vm, map_info_type, one, name):
    with vm:
        if one is not None:
            obj, raw, info = one
            with obj:
                yield _dump(vm, map_info_type, obj, raw, info)
            return
        for obj, raw, info in structops.walk(vm, name, map_info_type[1]):
            with obj:
                yield _dump(vm, map_info_type, obj, raw, info)
