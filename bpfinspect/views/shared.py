"""Pieces that several objects' views print the same way: devices, pins, owners."""

from bpfinspect.views.textsafe import safe


def device_text(device):
    if device is None:
        return ""
    if device.ifname is not None:
        return "  offloaded_to " + safe(device.ifname)
    return "  offloaded_to ifindex %u ns_dev %u ns_ino %u" % (
        device.ifindex, device.ns_dev, device.ns_inode)


def device_json(device):
    d = {"ifindex": device.ifindex, "ns_dev": device.ns_dev, "ns_inode": device.ns_inode}
    if device.ifname is not None:
        d["ifname"] = device.ifname
    return d


def pins_text(pinned):
    return "".join("\n\tpinned " + safe(p) for p in pinned or ())


def pids_text(pids):
    if not pids:
        return ""
    return "\n\tpids " + ", ".join("%s(%d)" % (safe(o.comm), o.pid) for o in pids)


def pids_json(obj, d):
    if obj.pids:
        d["pids"] = [{"pid": o.pid, "comm": o.comm} for o in obj.pids]


def no_encoded_text(_item):
    """plain_json() of a view whose json() never holds Encoded text (views/json.py then
    encodes each record with the C encoder)."""
    return True
