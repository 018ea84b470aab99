"""The house rules, checked on every module's imports (top-level and function-local):
each package imports only packages below it, siblings never import each other, and no
module imports another that imports it back.

    __main__ -> entry -> cli -> api -> {views | kernel | jit} -> {btfparse | isa}
        -> {model, errors} -> constants
"""

import ast
import os

from tests.kernel import ROOT

PACKAGE = os.path.join(ROOT, "bpfinspect")

# rank of each top-level part of the package; higher imports lower only
LAYERS = {
    "__main__": 7, "__init__": 6, "entry": 6,
    "cli": 5,
    "api": 4,
    "views": 3, "kernel": 3, "jit": 3,
    "btfparse": 2, "isa": 2,
    "model": 1, "errors": 1, "constants": 0,
}


def _modules():
    """{dotted module name: path} of every module of the package."""
    found = {}
    for dirpath, _dirs, files in os.walk(PACKAGE):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, ROOT)[:-3].split(os.sep)
            if rel[-1] == "__init__":
                rel = rel[:-1]
            found[".".join(rel)] = path
    return found


MODULES = _modules()


def _resolve(name):
    """The module an import names: itself, or the package holding a name it imports."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def imports(module):
    """The bpfinspect modules `module` imports, anywhere in its body."""
    tree = ast.parse(open(MODULES[module]).read())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module + "." + a.name for a in node.names]
        else:
            continue
        for name in names:
            if name == "bpfinspect" or name.startswith("bpfinspect."):
                target = _resolve(name)
                if target and target != module:
                    out.add(target)
    return out


def _part(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_part_has_a_layer():
    assert {_part(m) for m in MODULES} <= set(LAYERS)


def upward_imports():
    wrong = []
    for module in sorted(MODULES):
        mine = _part(module)
        for target in sorted(imports(module)):
            theirs = _part(target)
            if theirs != mine and LAYERS[theirs] >= LAYERS[mine]:
                wrong.append("%s imports %s" % (module, target))
    return wrong


def test_imports_only_go_down():
    assert upward_imports() == []


def test_no_import_cycles():
    graph = {m: imports(m) for m in MODULES}
    cycles = []
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_ctypes_only_in_kernel_and_jit():
    """ctypes lives in the layers that load shared libraries."""
    users = sorted(m for m in MODULES if "ctypes" in _stdlib_imports(m))
    assert all(_part(m) in ("kernel", "jit") for m in users), users


def _stdlib_imports(module):
    tree = ast.parse(open(MODULES[module]).read())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_the_checker_sees_a_wrong_import(tmp_path, monkeypatch):
    """A view that imports the kernel layer is caught (the rules are not vacuous)."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from bpfinspect.kernel import objects\n")
    monkeypatch.setitem(MODULES, "bpfinspect.views.bad", str(bad))
    assert imports("bpfinspect.views.bad") == {"bpfinspect.kernel.objects"}
    assert upward_imports() == ["bpfinspect.views.bad imports bpfinspect.kernel.objects"]
