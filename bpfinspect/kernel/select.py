"""The objects a model.Selector names, as open file descriptors."""

import errno

from bpfinspect.errors import BpfError, NoSuchObject, status_of_errno
from bpfinspect.kernel import uapi
from bpfinspect.kernel.info import map_info, prog_full_name, prog_info
from bpfinspect.kernel import objects

_BY_ID_MESSAGES = {
    "prog": "get by id (%u)",
    "map": "get map by id (%u)",
    "btf": "can't get BTF object by id (%u)",
    "link": "failed to get link with ID %u",
}


def _matches(kind, obj, selector):
    if kind == "prog":
        info, _ids, _orphaned = prog_info(obj.fd)
        if selector.by == "tag":
            return bytes(info.tag) == selector.value
        return prog_full_name(obj.fd, info) == selector.value
    return uapi.cstr(map_info(obj.fd).name) == selector.value


def select(kind, selector):
    """ObjectFds of the objects `selector` names; the caller closes them. Tags and names may
    match several objects; matching none is an error."""
    if selector.by == "id":
        message = _BY_ID_MESSAGES[kind] % selector.value
        try:
            return [objects.open_by_id(kind, selector.value, message)]
        except BpfError as e:
            if kind == "link" and e.errno:
                # bpftool's link_parse_fd returns libbpf's -errno: exit status 256 - errno
                e.exit_status = status_of_errno(e.errno)
            raise
    if selector.by == "pinned":
        return [objects.open_pinned(selector.value, kind)]
    found = []
    try:
        for obj in objects.walk(kind):
            try:
                keep = _matches(kind, obj, selector)
            except BaseException:
                obj.close()
                raise
            if keep:
                found.append(obj)
            else:
                obj.close()
    except BaseException:
        objects.close_all(found)
        raise
    if not found:
        raise NoSuchObject("no %s with %s" % (objects.NOUNS[kind], selector.text()),
                           errno.ENOENT)
    return found
