"""What keeps tests/unit runnable as any user with nothing but the venv: no test here takes
a kernel fixture, imports what runs bpftool or loads programs, or reads ../shared."""

import ast
import os

UNIT = os.path.dirname(os.path.abspath(__file__))

# tests/conftest.py's fixtures that need root, a bpffs, clang, bpftool or bpftrace, and the
# fixtures the kernel test modules define for themselves
KERNEL_FIXTURES = {"bpffs", "objects_o", "loaded", "code_loaded", "raw_progs", "bpftrace_prog",
                   "programs", "world", "maps", "large_map", "unchanged", "sources", "links",
                   "attached", "tree", "cg_progs", "perf_holder"}
# helpers that skip without root or run bpftool / clang / bpf(2) loads
KERNEL_HELPERS = {"need_root", "bpftool", "bpftool_json", "compile_bpf", "Loaded"}
KERNEL_MODULES = {"tests.loader", "tests.conftest", "tests.linkhooks", "tests.nethooks"}


def _modules():
    for name in sorted(os.listdir(UNIT)):
        if name.endswith(".py") and name != os.path.basename(__file__):
            path = os.path.join(UNIT, name)
            with open(path) as f:
                yield name, f.read()


def problems(name, source):
    out = []
    tree = ast.parse(source, name)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and (node.name.startswith("test")
                                                  or any("fixture" in ast.dump(d)
                                                         for d in node.decorator_list)):
            for arg in node.args.args:
                if arg.arg in KERNEL_FIXTURES and arg.arg not in _parameters(node):
                    out.append("%s: %s takes %s" % (name, node.name, arg.arg))
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module in KERNEL_MODULES:
                out.append("%s imports %s" % (name, node.module))
            if node.module == "tests.kernel":
                for alias in node.names:
                    if alias.name in KERNEL_HELPERS:
                        out.append("%s imports %s" % (name, alias.name))
            if node.module == "tests":
                for alias in node.names:
                    if "tests." + alias.name in KERNEL_MODULES:
                        out.append("%s imports tests.%s" % (name, alias.name))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in KERNEL_MODULES:
                    out.append("%s imports %s" % (name, alias.name))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _names_shared(node.value):
                out.append("%s reads %r" % (name, node.value))
    return out


def _parameters(func):
    """The argument names @pytest.mark.parametrize gives `func` (not fixtures)."""
    names = set()
    for d in func.decorator_list:
        if (isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute)
                and d.func.attr == "parametrize" and d.args
                and isinstance(d.args[0], ast.Constant)):
            names.update(n.strip() for n in d.args[0].value.split(","))
    return names


def _names_shared(text):
    """A path into ../shared (a docstring that cites the spec, with spaces, is fine)."""
    return text == "shared" or ("shared/" in text and not any(c.isspace() for c in text))


def test_unit_tests_need_nothing():
    found = []
    for name, source in _modules():
        found.extend(problems(name, source))
    assert found == []


def test_the_check_sees_a_kernel_test():
    source = ("from tests.kernel import bpftool\n"
              "from tests import loader\n"
              "def test_x(loaded):\n"
              "    open('../shared/spec/xlated.md')\n")
    assert sorted(problems("bad.py", source)) == [
        "bad.py imports bpftool", "bad.py imports tests.loader",
        "bad.py reads '../shared/spec/xlated.md'", "bad.py: test_x takes loaded"]
