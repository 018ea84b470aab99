"""`version`: bpfinspect's version, libbpf's, and the features built in."""

import click

from bpfinspect import __version__
from bpfinspect.cli import common

FEATURES = {"libbfd": False, "llvm": False, "crypto": False, "skeletons": False,
            "bootstrap": False, "pids": True}


def _features():
    """bpftool's feature names; llvm when a libLLVM is installed (found, not loaded)."""
    from bpfinspect.jit.libpath import installed

    features = dict(FEATURES)
    features["llvm"] = installed()
    return features


def _libbpf_version():
    from bpfinspect.kernel.libpath import version_without_loading

    found = version_without_loading()
    if found is None:
        from bpfinspect.kernel.errors import LibbpfMissing
        from bpfinspect.kernel.libbpf import lib

        try:
            found = lib().version()
        except LibbpfMissing:
            return None
    return "%u.%u" % found


@click.command("version", context_settings=common.COMMAND_SETTINGS,
               help="Print bpfinspect's version, libbpf's, and the features present.")
@click.argument("words", **common.WORDS)
def version(words):
    libbpf = _libbpf_version()
    r = common.run()
    if r.options.json:
        r.formatter.stream.value({"version": __version__, "libbpf_version": libbpf,
                                  "features": _features()})
        return
    out = ["bpfinspect v%s\n" % __version__,
           "using libbpf %s\n" % ("v" + libbpf if libbpf else "(not found)"),
           "features:"]
    out.append(",".join(" " + name for name, on in _features().items() if on))
    click.echo("".join(out))
