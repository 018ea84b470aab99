"""rtnetlink dumps for `net show`: devices with their XDP state (RTM_GETLINK), tc classes and
qdiscs (RTM_GETTCLASS, RTM_GETQDISC) and cls_bpf filters with their actions (RTM_GETTFILTER),
asked as bpftool asks them (api/net.py says which of its dumps are not made).

The messages' top-level attribute chains are stepped over here, only the attributes bpftool
reads kept (a device carries some forty); what is nested in them, a device's XDP state and a
cls_bpf filter's options and actions, is decoded by pyroute2's nla classes with attribute maps
narrowed to what bpftool reads. pyroute2 is imported by this module only, which only `net`
imports.
"""

import _socket  # socket's C module: socket.py's enum classes cost 4 ms, and none is needed
import importlib.util
import struct
import sys
import types

from bpfinspect.errors import BpfError, strerror


class _Deferred(types.ModuleType):
    """Stands in, while pyroute2.netlink loads, for a module it imports but hardly needs
    then: it holds the attributes given, and any other attribute imports the real module,
    which every later use then reaches."""

    def __init__(self, name, **attrs):
        super().__init__(name)
        self.__dict__.update(attrs)

    def __getattr__(self, attr):
        if attr.startswith("__"):  # what the import system asks (`from socket import` asks
            raise AttributeError(attr)  # for __path__) is the stand-in's own
        return getattr(_real_module(self.__name__), attr)


def _real_module(name):
    if isinstance(sys.modules.get(name), _Deferred):
        del sys.modules[name]
    return importlib.import_module(name)


class _DeferredLogger:
    """logging.getLogger(name) as pyroute2.netlink keeps it (`log`), got when first used."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        return getattr(_real_module("logging").getLogger(self._name), attr)


def _hexdump(*argv, **kwarg):
    return _real_module("pyroute2.common").hexdump(*argv, **kwarg)


def _stand_ins(lean):
    """What stands in for pyroute2's package and for modules pyroute2.netlink imports (those
    already imported are left alone): logging and traceback, used on its error paths only
    (7 ms of imports); with `lean`, socket (4 ms: socket.py builds its enum classes) and
    pyroute2.common (which needs socket), of which pyroute2.netlink takes five constants of
    _socket, the C module under socket, and AF_MPLS, basestring and hexdump."""
    spec = importlib.util.find_spec("pyroute2")
    if spec is None or not spec.submodule_search_locations:
        raise BpfError("net needs pyroute2 (pip install pyroute2)")
    package = types.ModuleType("pyroute2")
    package.__path__ = list(spec.submodule_search_locations)
    found = {"pyroute2": package, "logging": _Deferred("logging", getLogger=_DeferredLogger),
             "traceback": _Deferred("traceback")}
    if lean:
        found["socket"] = _Deferred("socket", **{name: getattr(_socket, name) for name in (
            "AF_INET", "AF_INET6", "AF_UNSPEC", "inet_ntop", "inet_pton")})
        found["pyroute2.common"] = _Deferred("pyroute2.common", AF_MPLS=28,
                                             basestring=(str, bytes), hexdump=_hexdump)
    return {name: module for name, module in found.items() if name not in sys.modules}


def _pyroute2_netlink():
    """pyroute2.netlink, without running pyroute2/__init__.py when nothing has imported it
    yet: that file imports every protocol pyroute2 has (conntrack, ndb, nl80211, ...), about
    200 ms, where pyroute2.netlink alone takes 40 ms. The package and some of the modules
    pyroute2.netlink imports are stood in for while it loads (_stand_ins), then taken out,
    so that a later `import pyroute2` runs as usual. Should a pyroute2 release want more of
    socket or pyroute2.common at import time, it is loaded with them as they are."""
    if "pyroute2" in sys.modules:
        import pyroute2.netlink

        return pyroute2.netlink
    for lean in (True, False):
        stand_ins = _stand_ins(lean)
        sys.modules.update(stand_ins)
        try:
            import pyroute2.netlink as module

            return module
        except ImportError:
            if not lean:
                raise
        finally:
            for name, stand_in in stand_ins.items():
                if sys.modules.get(name) is stand_in:
                    del sys.modules[name]


_netlink = _pyroute2_netlink()
nla = _netlink.nla

RTM_GETLINK = 18
RTM_GETQDISC = 38
RTM_GETTCLASS = 42
RTM_GETTFILTER = 46
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3
AF_PACKET = 17
NETLINK_EXT_ACK = 11
IFLA_EXT_MASK = 29
RTEXT_FILTER_SKIP_STATS = 1 << 3
SOL_NETLINK = 270

TC_H_ROOT = 0xFFFFFFFF
TC_H_CLSACT = 0xFFFFFFF1
TC_H_MIN_INGRESS = 0xFFF2
TC_H_MIN_EGRESS = 0xFFF3

XDP_ATTACHED_NONE, XDP_ATTACHED_DRV, XDP_ATTACHED_SKB, XDP_ATTACHED_HW, XDP_ATTACHED_MULTI = range(5)

_HDR = struct.Struct("=IHHII")


class _xdp(nla):
    nla_map = ((1, "IFLA_XDP_FD", "int32"),
               (2, "IFLA_XDP_ATTACHED", "uint8"),
               (3, "IFLA_XDP_FLAGS", "uint32"),
               (4, "IFLA_XDP_PROG_ID", "uint32"),
               (5, "IFLA_XDP_DRV_PROG_ID", "uint32"),
               (6, "IFLA_XDP_SKB_PROG_ID", "uint32"),
               (7, "IFLA_XDP_HW_PROG_ID", "uint32"))


_IFINFOMSG = 16  # struct ifinfomsg: family, type, index, flags, change
_NLA = struct.Struct("=HH")
_NLA_TYPE_MASK = 0x3FFF  # without NLA_F_NESTED and NLA_F_NET_BYTEORDER
IFLA_IFNAME = 3
IFLA_LINKINFO = 18
IFLA_INFO_KIND = 1
IFLA_XDP = 43
IFLA_XDP_ATTACHED = 2
_LINK_ATTRS = (IFLA_IFNAME, IFLA_LINKINFO, IFLA_XDP)
# IFLA_XDP when no program is attached: IFLA_XDP_ATTACHED (a u8, 0) alone
_XDP_NONE_LENGTH = _NLA.size + 8


def _nla_spans(raw, off, end, wanted):
    """{attribute type: (offset, length)} of the attributes of the types `wanted` in the
    chain of attributes from `off` to `end`, stepped over without decoding."""
    found = {}
    unpack = _NLA.unpack_from
    while off + 4 <= end:
        length, kind = unpack(raw, off)
        if length < 4:
            break
        kind &= _NLA_TYPE_MASK
        if kind in wanted:
            found[kind] = (off, length)
        off += (length + 3) & ~3
    return found


def _string(raw, off, length):
    return raw[off + 4:off + length].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _link_attrs(raw):
    """(ifindex, IFLA_IFNAME, the IFLA_XDP nla decoded by pyroute2 or None, IFLA_INFO_KIND or
    None) of one RTM_NEWLINK message. A link carries some forty attributes and `net` reads
    three: the top-level chain is stepped over here (pyroute2 would build an object for
    each, half of the command's time with 100 devices); IFLA_XDP is decoded by pyroute2
    unless it says that nothing is attached (None then, as when it is missing)."""
    ifindex = struct.unpack_from("=i", raw, _HDR.size + 4)[0]
    spans = _nla_spans(raw, _HDR.size + _IFINFOMSG, len(raw), _LINK_ATTRS)
    name = _string(raw, *spans[IFLA_IFNAME]) if IFLA_IFNAME in spans else ""
    xdp = kind = None
    if IFLA_XDP in spans:
        off, length = spans[IFLA_XDP]
        if not (length == _XDP_NONE_LENGTH and
                _NLA.unpack_from(raw, off + 4) == (5, IFLA_XDP_ATTACHED) and raw[off + 8] == 0):
            xdp = _xdp(raw, offset=off, length=length)
            xdp.decode()
    if IFLA_LINKINFO in spans:
        off, length = spans[IFLA_LINKINFO]
        info = _nla_spans(raw, off + 4, off + length, (IFLA_INFO_KIND,))
        if IFLA_INFO_KIND in info:
            kind = _string(raw, *info[IFLA_INFO_KIND])
    return ifindex, name, xdp, kind


class _act_bpf(nla):
    nla_map = ((2, "TCA_ACT_BPF_PARMS", "hex"),
               (6, "TCA_ACT_BPF_NAME", "asciiz"),
               (9, "TCA_ACT_BPF_ID", "uint32"))


class _act(nla):
    nla_map = ((1, "TCA_ACT_KIND", "asciiz"),
               (2, "TCA_ACT_OPTIONS", "get_options"))

    @staticmethod
    def get_options(self, *argv, **kwarg):
        return _act_bpf if self.get_attr("TCA_ACT_KIND") == "bpf" else self.hex


class _acts(nla):
    """TCA_BPF_ACT: one nested action per priority (attribute types 0..TCA_ACT_MAX_PRIO)."""

    nla_map = tuple((prio, "TCA_ACT_PRIO_%d" % prio, "act") for prio in range(33))
    act = _act


class _cls_bpf(nla):
    nla_map = ((1, "TCA_BPF_ACT", "acts"),
               (7, "TCA_BPF_NAME", "asciiz"),
               (11, "TCA_BPF_ID", "uint32"))
    acts = _acts


_TCMSG = struct.Struct("=BxxxiIII")  # struct tcmsg: family, ifindex, handle, parent, info
TCA_KIND = 1
TCA_OPTIONS = 2
_TC_ATTRS = (TCA_KIND, TCA_OPTIONS)


def _asciiz(raw, off, length):
    """A string attribute as pyroute2's asciiz decodes it."""
    value = raw[off + 4:off + length].strip(b"\0")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value


def _tc_attrs(raw):
    """(ifindex, handle, TCA_KIND or None, (offset, length) of TCA_OPTIONS or None) of one
    RTM_NEWQDISC, RTM_NEWTCLASS or RTM_NEWTFILTER message: struct tcmsg, and the attribute
    chain stepped over as a link's is (the statistics are not decoded)."""
    _family, index, handle, _parent, _info = _TCMSG.unpack_from(raw, _HDR.size)
    spans = _nla_spans(raw, _HDR.size + _TCMSG.size, len(raw), _TC_ATTRS)
    kind = _asciiz(raw, *spans[TCA_KIND]) if TCA_KIND in spans else None
    return index, handle, kind, spans.get(TCA_OPTIONS)


class Rtnl:
    """A NETLINK_ROUTE socket making dump requests one at a time, as bpftool's."""

    def __init__(self):
        try:
            self.sock = _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW,
                                       _socket.NETLINK_ROUTE)
        except OSError as exc:
            raise BpfError("failed to open netlink sock", exc.errno) from None
        try:
            self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        except OSError:
            pass
        self.sock.bind((0, 0))
        self.pid = self.sock.getsockname()[0]
        self.seq = 0

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def dump(self, msg_type, body):
        """The payloads of the answer to one dump request; an NLMSG_ERROR raises BpfError."""
        self.seq += 1
        self.sock.send(_HDR.pack(_HDR.size + len(body), msg_type, NLM_F_REQUEST | NLM_F_DUMP,
                                 self.seq, 0) + body)
        out = []
        while True:
            data = self.sock.recv(1 << 16)
            if not data:
                return out
            off = 0
            while off + _HDR.size <= len(data):
                length, mtype, flags, seq, pid = _HDR.unpack_from(data, off)
                if length < _HDR.size:
                    break
                if mtype == NLMSG_DONE:
                    return out
                if mtype == NLMSG_ERROR:
                    err = -struct.unpack_from("=i", data, off + _HDR.size)[0]
                    if err:
                        raise BpfError(strerror(err), err)
                elif seq == self.seq:
                    out.append(data[off:off + length])
                off += (length + 3) & ~3
            if not out and not data:
                return out

    def links(self):
        """(ifindex, name, {xdp attribute: value} or None, link kind or None) per device, in
        the kernel's order; None for xdp when nothing is attached."""
        # IFLA_EXT_MASK RTEXT_FILTER_SKIP_STATS: the kernel leaves out the counters, which
        # `net` does not show, and the messages are a third of their size
        body = struct.pack("=BxHiIIHHI", AF_PACKET, 0, 0, 0, 0, 8, IFLA_EXT_MASK,
                           RTEXT_FILTER_SKIP_STATS)
        result = []
        for raw in self.dump(RTM_GETLINK, body):
            ifindex, name, xdp, kind = _link_attrs(raw)
            result.append((ifindex, name, dict(xdp["attrs"]) if xdp is not None else None, kind))
        return result

    def _tc_dump(self, msg_type, ifindex, parent=0):
        """(message, then _tc_attrs' four) per message of one tc dump."""
        body = _TCMSG.pack(_socket.AF_UNSPEC, ifindex, 0, parent, 0)
        return [(raw,) + _tc_attrs(raw) for raw in self.dump(msg_type, body)]

    def qdiscs(self):
        """(ifindex, kind or None, handle) of every qdisc the kernel dumps, in its order. The
        kernel's qdisc dump walks every device whatever tcm_ifindex asks (tc_dump_qdisc), so
        the list bpftool gets once per device is this one, asked once."""
        return [(index, kind, handle)
                for _raw, index, handle, kind, _options in self._tc_dump(RTM_GETQDISC, 0)]

    def tc_parents(self, ifindex, qdiscs):
        """bpftool's (kind, handle) list: every class of the device, then each qdisc of
        `qdiscs` (self.qdiscs(), any device's) that is not clsact and has a handle."""
        out = [(kind or "unknown", handle)
               for _raw, _index, handle, kind, _options in self._tc_dump(RTM_GETTCLASS, ifindex)]
        for _index, kind, handle in qdiscs:
            if kind == "clsact" or handle == 0:
                continue
            out.append((kind or "unknown", handle))
        return out

    def bpf_filters(self, ifindex, parent):
        """(name or None, prog id or None, actions or None) per cls_bpf filter under
        `parent`; actions are (name or None, id or None) per bpf action."""
        out = []
        for raw, _index, _handle, kind, options in self._tc_dump(RTM_GETTFILTER, ifindex, parent):
            if options is None or kind != "bpf":
                continue
            opts = _cls_bpf(raw, offset=options[0], length=options[1])
            opts.decode()
            acts = opts.get_attr("TCA_BPF_ACT")
            actions = None
            if acts is not None:
                actions = []
                for _name, act in acts["attrs"]:
                    if act.get_attr("TCA_ACT_KIND") != "bpf":
                        continue
                    params = act.get_attr("TCA_ACT_OPTIONS")
                    if params is None or params.get_attr("TCA_ACT_BPF_PARMS") is None:
                        break  # bpftool stops at a malformed action
                    actions.append((params.get_attr("TCA_ACT_BPF_NAME"),
                                    params.get_attr("TCA_ACT_BPF_ID")))
            out.append((opts.get_attr("TCA_BPF_NAME"), opts.get_attr("TCA_BPF_ID"), actions))
        return out
