"""BPF links as model.Link records: bpf_link_info read as bpftool's do_show_link reads it
(once, then again with buffers for names, paths and per-function arrays)."""

import ctypes
import os
import socket

from bpfinspect import constants as C
from bpfinspect import model
from bpfinspect.errors import from_errno
from bpfinspect.kernel import objects, uapi
from bpfinspect.kernel.libbpf import lib


def _name(table, libbpf_name, number):
    """bpftool 7.8's name (libbpf 1.8's table), else the installed libbpf's, else the
    number (JSON number, `type N` in text)."""
    if 0 <= number < len(table):
        return table[number]
    lb = lib()
    func = getattr(lb, libbpf_name, None)
    if func is not None:
        name = func(number)
        if name:
            return name.decode()
    return number


def link_type_name(number):
    return _name(C.LINK_TYPE_NAMES, "libbpf_bpf_link_type_str", number)


def attach_type_name(number):
    return _name(C.ATTACH_TYPE_NAMES, "libbpf_bpf_attach_type_str", number)


class _Buffers:
    """Memory the kernel writes names and arrays into, kept alive until the record is made."""

    def __init__(self):
        self.keep = []

    def chars(self, size=C.PATH_MAX):
        buf = ctypes.create_string_buffer(size)
        self.keep.append(buf)
        return ctypes.addressof(buf), buf

    def u64s(self, count):
        arr = (ctypes.c_uint64 * count)()
        self.keep.append(arr)
        return ctypes.addressof(arr), arr


def read_info(fd):
    """(bpf_link_info, {what: buffer}) of the link `fd`, names and arrays filled in."""
    info = uapi.bpf_link_info()
    ret = objects.get_info(fd, info)
    if ret != 0:
        raise from_errno(-ret, "can't get link info")
    bufs = _Buffers()
    got = {}
    t = info.type
    again = False
    if t == C.BPF_LINK_TYPE_RAW_TRACEPOINT:
        addr, got["name"] = bufs.chars()
        info.raw_tracepoint.tp_name, info.raw_tracepoint.tp_name_len = addr, C.PATH_MAX
        again = True
    elif t == C.BPF_LINK_TYPE_ITER:
        addr, got["name"] = bufs.chars()
        info.iter.target_name, info.iter.target_name_len = addr, C.PATH_MAX
        again = True
    elif t == C.BPF_LINK_TYPE_KPROBE_MULTI and info.kprobe_multi.count:
        count = info.kprobe_multi.count
        info.kprobe_multi.addrs, got["addrs"] = bufs.u64s(count)
        info.kprobe_multi.cookies, got["cookies"] = bufs.u64s(count)
        again = True
    elif t == C.BPF_LINK_TYPE_UPROBE_MULTI and info.uprobe_multi.count:
        um = info.uprobe_multi
        count = um.count
        um.offsets, got["offsets"] = bufs.u64s(count)
        um.ref_ctr_offsets, got["ref_ctr_offsets"] = bufs.u64s(count)
        um.cookies, got["cookies"] = bufs.u64s(count)
        um.path, got["name"] = bufs.chars()
        um.path_size = C.PATH_MAX
        again = True
    elif t == C.BPF_LINK_TYPE_PERF_EVENT:
        pe = info.perf_event
        member = {C.BPF_PERF_EVENT_TRACEPOINT: (pe.u.tracepoint, "tp_name"),
                  C.BPF_PERF_EVENT_KPROBE: (pe.u.kprobe, "func_name"),
                  C.BPF_PERF_EVENT_KRETPROBE: (pe.u.kprobe, "func_name"),
                  C.BPF_PERF_EVENT_UPROBE: (pe.u.uprobe, "file_name"),
                  C.BPF_PERF_EVENT_URETPROBE: (pe.u.uprobe, "file_name")}.get(pe.type)
        if member is not None:
            addr, got["name"] = bufs.chars()
            setattr(member[0], member[1], addr)
            member[0].name_len = C.PATH_MAX
            again = True
    if again:
        ret = objects.get_info(fd, info)
        if ret != 0:
            raise from_errno(-ret, "can't get link info")
    return info, got, bufs


def _text(got):
    buf = got.get("name")
    return buf.value.decode("utf-8", "surrogateescape") if buf is not None else ""


def _devname(ifindex):
    if not ifindex:
        return "(detached)"
    try:
        return socket.if_indextoname(ifindex)
    except OSError:
        return None


class Kallsyms:
    """/proc/kallsyms as bpftool's kernel_syms_load reads it, loaded once when needed:
    (address, name, module) with nonzero addresses, sorted by address."""

    def __init__(self):
        self._syms = None

    def symbols(self):
        if self._syms is None:
            syms = []
            try:
                with open(C.KALLSYMS, "rb") as f:
                    for line in f:
                        parts = line.split()
                        if len(parts) < 3:
                            continue
                        addr = int(parts[0], 16)
                        name = parts[2].decode("utf-8", "replace")
                        module = ""
                        if len(parts) > 3 and parts[3].startswith(b"["):
                            module = parts[3][1:].split(b"]")[0].decode("utf-8", "replace")
                        if name == "__bpf_call_base" and not addr:
                            syms = []
                            break
                        if addr:
                            syms.append((addr, name, module))
            except OSError:
                syms = []
            syms.sort(key=lambda s: s[0])
            self._syms = syms
        return self._syms


def _x86_ibt():
    """CONFIG_X86_KERNEL_IBT in the kernel's config (bpftool's is_x86_ibt_enabled)."""
    if os.uname().machine != "x86_64":
        return False
    import gzip

    release = os.uname().release
    for path, opener in (("/boot/config-" + release, open), ("/proc/config.gz", gzip.open)):
        try:
            with opener(path, "rb") as f:
                for line in f:
                    if line.startswith(b"CONFIG_X86_KERNEL_IBT="):
                        return line.strip().endswith(b"=y") or line.strip().endswith(b"=m")
            return False
        except OSError:
            continue
    return False


def kprobe_multi_funcs(addrs, cookies, syms):
    """bpftool's walk of kallsyms (sorted) against the sorted (addr, cookie) pairs."""
    data = sorted(zip(addrs, cookies), key=lambda p: p[0])
    if not syms or not data:
        return ()
    ibt = _x86_ibt()
    out = []
    j = 0
    for addr, name, module in syms:
        if j >= len(data):
            break
        target = data[j][0]
        if addr != target and not (ibt and addr == target - 4):
            continue
        out.append(model.KprobeMultiFunc(addr=data[j][0], func=name, module=module or None,
                                         cookie=data[j][1]))
        j += 1
    return tuple(out)


def _perf_event_config(ptype, config):
    if ptype == 0:
        return C.PERF_HW_NAMES[config] if config < len(C.PERF_HW_NAMES) else config
    if ptype == 1:
        return C.PERF_SW_NAMES[config] if config < len(C.PERF_SW_NAMES) else config
    if ptype == 3:
        parts = []
        for value, names in ((config & 0xFF, C.PERF_HW_CACHE_NAMES),
                             ((config >> 8) & 0xFF, C.PERF_HW_CACHE_OP_NAMES),
                             (config >> 16, C.PERF_HW_CACHE_RESULT_NAMES)):
            parts.append(names[value] if value < len(names) else "%u" % value)
        return "-".join(parts)
    return config


def _perf_event_detail(info, got):
    pe = info.perf_event
    t = pe.type
    if t in (C.BPF_PERF_EVENT_KPROBE, C.BPF_PERF_EVENT_KRETPROBE):
        k = pe.u.kprobe
        return model.LinkKprobe(retprobe=t == C.BPF_PERF_EVENT_KRETPROBE, addr=k.addr,
                                func=_text(got), offset=k.offset, missed=k.missed,
                                cookie=k.cookie)
    if t in (C.BPF_PERF_EVENT_UPROBE, C.BPF_PERF_EVENT_URETPROBE):
        u = pe.u.uprobe
        return model.LinkUprobe(retprobe=t == C.BPF_PERF_EVENT_URETPROBE, file=_text(got),
                                offset=u.offset, cookie=u.cookie,
                                ref_ctr_offset=u.ref_ctr_offset)
    if t == C.BPF_PERF_EVENT_TRACEPOINT:
        return model.LinkTracepoint(tracepoint=_text(got), cookie=pe.u.tracepoint.cookie)
    if t == C.BPF_PERF_EVENT_EVENT:
        e = pe.u.event
        etype = C.PERF_TYPE_NAMES[e.type] if e.type < len(C.PERF_TYPE_NAMES) else e.type
        return model.LinkPerfEvent(event_type=etype,
                                   event_config=_perf_event_config(e.type, e.config),
                                   cookie=e.cookie)
    return None


def _perf_cookie(detail):
    return getattr(detail, "cookie", 0) if detail is not None else 0


class LinkCache:
    """What a listing of links looks up once besides pins and owners: program types,
    kallsyms."""

    def __init__(self):
        self.prog_types = {}
        self.kallsyms = Kallsyms()

    def prog_type(self, prog_id):
        if prog_id not in self.prog_types:
            from bpfinspect.kernel.info import prog_info

            with objects.open_by_id("prog", prog_id) as obj:
                info = prog_info(obj.fd)[0]
            name = lib().libbpf_bpf_prog_type_str(info.type)
            self.prog_types[prog_id] = name.decode() if name else info.type
        return self.prog_types[prog_id]


def detail_of(info, got, lookups):
    """The type's own record (model.Link*), or None for types without a body."""
    t = info.type
    if t == C.BPF_LINK_TYPE_RAW_TRACEPOINT:
        return model.LinkRawTracepoint(tp_name=_text(got), cookie=info.raw_tracepoint.cookie)
    if t == C.BPF_LINK_TYPE_TRACING:
        tr = info.tracing
        return model.LinkTracing(prog_type=lookups.prog_type(info.prog_id),
                                 attach_type=attach_type_name(tr.attach_type),
                                 target_obj_id=tr.target_obj_id,
                                 target_btf_id=tr.target_btf_id, cookie=tr.cookie)
    if t == C.BPF_LINK_TYPE_CGROUP:
        return model.LinkCgroup(cgroup_id=info.cgroup.cgroup_id,
                                attach_type=attach_type_name(info.cgroup.attach_type))
    if t == C.BPF_LINK_TYPE_ITER:
        it = info.iter
        name = _text(got)
        fields = {}
        if name in C.LINK_ITER_MAP_TARGETS:
            fields["map_id"] = it.map.map.map_id
        elif name in C.LINK_ITER_TASK_TARGETS:
            if it.target.task.tid:
                fields["tid"] = it.target.task.tid
            elif it.target.task.pid:
                fields["pid"] = it.target.task.pid
        if name == "cgroup":
            order = it.target.cgroup.order
            fields["cgroup_id"] = it.target.cgroup.cgroup_id
            fields["order"] = (C.LINK_ITER_CGROUP_ORDERS[order]
                               if order < len(C.LINK_ITER_CGROUP_ORDERS) else "unknown")
        return model.LinkIter(target_name=name, **fields)
    if t == C.BPF_LINK_TYPE_NETNS:
        return model.LinkNetns(netns_ino=info.netns.netns_ino,
                               attach_type=attach_type_name(info.netns.attach_type))
    if t == C.BPF_LINK_TYPE_XDP:
        return model.LinkDevice(devname=_devname(info.xdp.ifindex), ifindex=info.xdp.ifindex)
    if t in (C.BPF_LINK_TYPE_TCX, C.BPF_LINK_TYPE_NETKIT):
        d = info.tcx if t == C.BPF_LINK_TYPE_TCX else info.netkit
        return model.LinkDevice(devname=_devname(d.ifindex), ifindex=d.ifindex,
                                attach_type=attach_type_name(d.attach_type))
    if t == C.BPF_LINK_TYPE_SOCKMAP:
        return model.LinkSockmap(map_id=info.sockmap.map_id,
                                 attach_type=attach_type_name(info.sockmap.attach_type))
    if t == C.BPF_LINK_TYPE_STRUCT_OPS:
        return model.LinkStructOps(map_id=info.struct_ops.map_id)
    if t == C.BPF_LINK_TYPE_NETFILTER:
        nf = info.netfilter
        return model.LinkNetfilter(pf=nf.pf, hook=nf.hooknum, prio=nf.priority, flags=nf.flags)
    if t == C.BPF_LINK_TYPE_KPROBE_MULTI:
        km = info.kprobe_multi
        funcs = ()
        if km.count:
            funcs = kprobe_multi_funcs(list(got["addrs"]), list(got["cookies"]),
                                       lookups.kallsyms.symbols())
        return model.LinkKprobeMulti(retprobe=bool(km.flags & C.BPF_F_KPROBE_MULTI_RETURN),
                                     func_cnt=km.count, missed=km.missed, funcs=funcs)
    if t == C.BPF_LINK_TYPE_UPROBE_MULTI:
        um = info.uprobe_multi
        funcs = ()
        if um.count:
            funcs = tuple(model.UprobeMultiFunc(offset=o, ref_ctr_offset=r, cookie=c)
                          for o, r, c in zip(got["offsets"], got["ref_ctr_offsets"],
                                             got["cookies"]))
        return model.LinkUprobeMulti(retprobe=bool(um.flags & C.BPF_F_UPROBE_MULTI_RETURN),
                                     path=_text(got), func_cnt=um.count,
                                     pid=ctypes.c_int32(um.pid).value, funcs=funcs)
    if t == C.BPF_LINK_TYPE_PERF_EVENT:
        return _perf_event_detail(info, got)
    return None


def link_record(fd, lookups, cls=model.Link):
    """The record (`cls`, a model.Link) of the link `fd`; `lookups` a records.Lookups."""
    cache = lookups.__dict__.get("links")
    if cache is None:
        cache = lookups.__dict__["links"] = LinkCache()
    info, got, _bufs = read_info(fd)
    detail = detail_of(info, got, cache)
    pids = lookups.owners_of(info.id)
    pinned = lookups.pins_of(info.id)
    cookie = None
    if pids and info.type == C.BPF_LINK_TYPE_PERF_EVENT:
        cookie = _perf_cookie(detail)
    return cls(id=info.id, type=link_type_name(info.type), type_number=info.type,
               prog_id=info.prog_id, detail=detail, pinned=pinned, pids=pids,
               bpf_cookie=cookie)
