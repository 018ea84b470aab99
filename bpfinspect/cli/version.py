"""`version`: bpfinspect's version, libbpf's, and the features built in."""

import click

from bpfinspect.constants import VERSION
from bpfinspect.cli import common

FEATURES = {"libbfd": False, "llvm": False, "crypto": False, "skeletons": False,
            "bootstrap": False, "pids": True}


def _features():
    """bpftool's feature names; llvm when a libLLVM is installed (found, not loaded)."""
    from bpfinspect.jit.llvm_search import installed

    features = dict(FEATURES)
    features["llvm"] = installed()
    return features


def _libbpf_version():
    from bpfinspect.kernel.libbpf_search import version_without_loading

    found = version_without_loading()
    if found is None:
        from bpfinspect.errors import LibraryMissing
        from bpfinspect.kernel.libbpf import lib

        try:
            found = lib().version()
        except LibraryMissing:
            return None
    return "%u.%u" % found


@click.command("version", context_settings=common.COMMAND_SETTINGS,
               help="Print bpfinspect's version, libbpf's, and the features present.")
@click.argument("words", **common.WORDS)
def version(words):
    common.run().output.version({"version": VERSION, "libbpf_version": _libbpf_version(),
                                 "features": _features()})
