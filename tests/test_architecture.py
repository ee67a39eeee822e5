"""The house rules of ``docs/ARCHITECTURE.md``, checked on the source: imports flow one way
between sub-packages, no cycle, no private name imported from another module, and another
sub-package is used only through the names its ``__init__`` exports in ``__all__``."""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

import pytest
from conftest import REPO

SIM = REPO / "sim"
#: Lower layers first: a sub-package may import only from layers before it.
LAYERS = ("space", "scenario", "model", "runner", "analysis", "viz", "cli", "app")


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "sim" or len(parts) < 2:
        return None
    return parts[1].removesuffix(".py")


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(SIM.rglob("*.py")):
        rel = path.relative_to(REPO).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        out.append((".".join(parts), path))
    return out


def _imports(path: Path, runtime_only: bool = False) -> list[tuple[str, list[str], int]]:
    """``(module, names, line)`` for every ``import``/``from ... import`` in the file,
    including those inside functions (lazy imports are still dependencies); with
    ``runtime_only`` not those under ``if TYPE_CHECKING:`` (never executed)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
                node.body = []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            out.extend((a.name, [], node.lineno) for a in node.names)
    return out


MODULES = _modules()


def test_there_are_sub_packages_to_check():
    layers = {_layer(m) for m, _ in MODULES}
    assert {"space", "scenario", "model", "runner", "analysis", "viz", "cli"} <= layers


@pytest.mark.parametrize("module,path", MODULES, ids=[m for m, _ in MODULES])
def test_imports_flow_one_way(module, path):
    mine = _layer(module)
    if mine not in LAYERS:
        return
    for target, _, line in _imports(path):
        other = _layer(target)
        if other is None or other == mine or other not in LAYERS:
            continue
        assert LAYERS.index(other) < LAYERS.index(mine), (
            f"{path.relative_to(REPO)}:{line}: sim.{mine} may not import {target} "
            f"(layers: {' -> '.join(LAYERS)})")


@pytest.mark.parametrize("module,path", MODULES, ids=[m for m, _ in MODULES])
def test_no_private_names_across_modules_and_packages_used_through_all(module, path):
    mine = _layer(module)
    for target, names, line in _imports(path):
        if not target.startswith("sim") or target == module:
            continue
        where = f"{path.relative_to(REPO)}:{line}"
        for name in names:
            assert not name.startswith("_"), f"{where}: imports private {target}.{name}"
        other = _layer(target)
        if other and other != mine and mine not in (None, "__main__"):
            # another sub-package: only through its package and the names it exports
            assert target == f"sim.{other}" or target == "sim", (
                f"{where}: import from sim.{other} (its __all__), not {target}")
            exported = importlib.import_module(target).__all__
            for name in names:
                assert name in exported, f"{where}: {name} is not in {target}.__all__"


def test_no_import_cycle_between_sub_packages():
    edges: dict[str, set[str]] = {}
    for module, path in MODULES:
        mine = _layer(module)
        for target, _, _ in _imports(path):
            other = _layer(target)
            if other and mine and other != mine:
                edges.setdefault(mine, set()).add(other)

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    for pkg in edges:
        assert pkg not in reach(pkg), f"sim.{pkg} imports itself through a cycle"


def test_tests_use_no_private_names():
    for path in sorted((REPO / "tests").glob("*.py")) + sorted((REPO / "benchmarks").glob("*.py")):
        for target, names, line in _imports(path):
            if target.startswith("sim"):
                bad = [n for n in names if n.startswith("_")]
                assert not bad, f"{path.relative_to(REPO)}:{line}: private {target}.{bad}"


def _public(module: str, name: str) -> bool:
    """``name`` is public in ``module``: not ``_private``, and listed in its ``__all__`` (when
    it has one) or a submodule of a package."""
    if name.startswith("_"):
        return False
    mod = importlib.import_module(module)
    if name in getattr(mod, "__all__", [name]):
        return True
    return hasattr(mod, "__path__") and importlib.util.find_spec(f"{module}.{name}") is not None


def test_tests_use_only_public_names():
    """Tests and benchmarks use what a notebook may use: names a module exports in
    ``__all__`` (``from sim.x.y import name``, and ``m.name`` after ``import sim.x.y as m`` or
    ``from sim.x import y as m``)."""
    bad = []
    for path in sorted((REPO / "tests").glob("*.py")) + sorted((REPO / "benchmarks").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim"):
                bad += [f"{path.name}:{node.lineno}: {node.module}.{a.name}" for a in node.names
                        if not _public(node.module, a.name)]
                # ``from sim.viz import plots as P`` ... ``P.name``: a module under another name
                aliases.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names
                                if importlib.util.find_spec(node.module) is not None
                                and hasattr(importlib.import_module(node.module), "__path__")
                                and importlib.util.find_spec(f"{node.module}.{a.name}")})
            elif isinstance(node, ast.Import):
                aliases.update({a.asname: a.name for a in node.names
                                if a.asname and a.name.startswith("sim")})
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id in aliases and not _public(aliases[node.value.id],
                                                                 node.attr):
                bad.append(f"{path.name}:{node.lineno}: {aliases[node.value.id]}.{node.attr}")
    assert not bad, "private or unexported names used by tests: " + ", ".join(sorted(set(bad)))


@pytest.mark.parametrize("package", [p for p in LAYERS if (SIM / p / "__init__.py").is_file()])
def test_no_exported_name_is_shadowed_by_a_submodule(package):
    """``sim.analysis.compare`` must stay the function once ``sim.analysis.comparison`` is
    imported: an exported name that is also a submodule's name flips to the module."""
    pkg = importlib.import_module(f"sim.{package}")
    submodules = {p.stem for p in (SIM / package).glob("*.py")} | {
        p.name for p in (SIM / package).iterdir() if (p / "__init__.py").is_file()}
    for name in pkg.__all__:
        if name in submodules:
            assert importlib.import_module(f"sim.{package}.{name}") is getattr(pkg, name), (
                f"sim.{package}.{name} is both an exported name and a submodule")


def test_no_import_cycle_between_modules():
    """No module reaches itself through its imports (a package's ``__init__`` counts as the
    package; ``from pkg import x`` is an edge to ``pkg`` and, if it is a module, to ``pkg.x``)."""
    names = {m for m, _ in MODULES}
    edges: dict[str, set[str]] = {}
    for module, path in MODULES:
        out = edges.setdefault(module, set())
        for target, imported, _ in _imports(path, runtime_only=True):
            if not target.startswith("sim"):
                continue
            # ``from pkg import x`` runs pkg's __init__ first, then loads pkg.x if a module
            out.update(f"{target}.{n}" for n in imported if f"{target}.{n}" in names)
            if target in names:
                out.add(target)

    def cycle_from(start: str) -> list[str] | None:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in edges.get(node, ()):
                if nxt == start:
                    return [*path, nxt]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
        return None

    for module in sorted(edges):
        cycle = cycle_from(module)
        assert cycle is None, "import cycle: " + " -> ".join(cycle)


SCENARIO_PARAMS = ("scenario", "scn", "scenarios", "base")


@pytest.mark.parametrize("package", [p for p in LAYERS if (SIM / p / "__init__.py").is_file()])
def test_no_exported_function_takes_any_for_a_scenario(package):
    """Typed boundaries: a function another layer calls says it takes a ``Scenario`` (issue
    22), so a dict or YAML text cannot slip through unannotated."""
    import inspect
    import re

    pkg = importlib.import_module(f"sim.{package}")
    for name in pkg.__all__:
        obj = getattr(pkg, name)
        funcs = [(name, obj)] if inspect.isfunction(obj) else [
            (f"{name}.{m}", f) for m, f in vars(obj).items()
            if inspect.isfunction(f) and not m.startswith("_")] if inspect.isclass(obj) else []
        for where, f in funcs:
            for p in inspect.signature(f).parameters.values():
                if p.name in SCENARIO_PARAMS and (p.annotation is inspect.Parameter.empty
                                                  or re.search(r"\bAny\b", str(p.annotation))):
                    pytest.fail(f"sim.{package}.{where}({p.name}: {p.annotation}): "
                                "annotate it as a Scenario")


def test_architecture_md_table_names_every_module_and_the_layer_order():
    """docs/ARCHITECTURE.md's table (sub-package, what it owns, what it may import) matches the
    code: every module of a sub-package is named in its row, and a row may import exactly
    the layers before it."""
    import re

    rows = {}
    for line in (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.fullmatch(r"`sim\.(\w+)`", cells[0])
        if m and len(cells) == 3:
            rows[m.group(1)] = cells
    assert list(rows) == list(LAYERS)
    for k, layer in enumerate(LAYERS):
        _, owns, may = rows[layer]
        named = set(re.findall(r"`([\w/]+)", owns))  # `base.Executor` names base
        for path in (SIM / layer).rglob("*.py"):
            rel = path.relative_to(SIM / layer)
            name = rel.parent.as_posix() + "/" if rel.name == "__init__.py" else rel.stem
            if name != "./":  # the sub-package's own __init__
                assert name in named or rel.stem in named, f"{layer}: {rel} not in its row"
        allowed = may.split(";")[0].replace("–", "").split(",")
        assert [a.strip() for a in allowed if a.strip()] == list(LAYERS[:k]), layer


def test_experiment_scripts_use_only_the_sub_packages_exports():
    """experiments/*.py are run as a notebook would run the library: through the names a
    sub-package exports (``from sim.analysis import run_candidates``), never a module inside
    it, and their runs through ``sim.runner``'s executors, not a pool of their own (issue 22:
    they reached into ``sim.analysis.calibration`` and built their own ``ProcessPoolExecutor``)."""
    bad = []
    for path in sorted((REPO / "experiments").glob("*.py")):
        for target, names, line in _imports(path):
            where = f"{path.name}:{line}: {target}"
            if target.startswith(("concurrent", "multiprocessing")):
                bad.append(where)  # its own pool: runs go through sim.runner's executors
            if not target.startswith("sim"):
                continue
            if target.count(".") != 1:
                bad.append(where)
                continue
            exported = importlib.import_module(target).__all__
            bad += [f"{where}.{n}" for n in names if n not in exported]
    assert not bad, "experiment scripts bypass the public API: " + ", ".join(bad)


def test_only_sim_scenario_parses_scenario_yaml():
    """Scenario files are read by ``sim.scenario`` alone (issue 22: a batch's scenario was read
    back as raw YAML in six places): outside it, no module or experiment script calls
    PyYAML's loaders or ``sim.space.load_yaml``; ``sim.space`` parses the map files (and owns
    the safe loader ``sim.scenario`` uses). Dumping YAML is allowed."""
    loaders = {"load", "safe_load", "full_load", "unsafe_load", "load_all", "safe_load_all"}
    bad = []
    for path in sorted(SIM.rglob("*.py")) + sorted((REPO / "experiments").glob("*.py")):
        if path.is_relative_to(SIM / "scenario") or path.is_relative_to(SIM / "space"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if (isinstance(f, ast.Attribute) and f.attr in loaders
                    and getattr(f.value, "id", None) == "yaml") or (
                    getattr(f, "id", getattr(f, "attr", None)) == "load_yaml"):
                bad.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not bad, "YAML parsed outside sim.scenario: " + ", ".join(bad)


#: All a command may touch of its model and force state outside its constructor: its orders
#: and the event journal (``log``, ``last``), and ``day_picture`` for a player's order checked
#: between days. Every fact a decision reads comes from the DayPicture handed to ``step``.
MODEL_ORDERS = {"forces", "log", "last", "order_transfer", "open_talks", "accept_talks",
                "day_picture"}
FORCE_ORDERS = {"move", "set_posture", "set_line_postures", "rotate"}


def _model_reads(source: str) -> list[str]:
    """Where a command class's method (not ``__init__``) reaches the model or its force
    state other than through an order: ``self.model.X`` or ``self.model.forces.Y`` with X,
    Y not orders, directly or through a local name bound to either, or either object handed
    on whole (to a call, a container, a return)."""
    bad = []
    for cls in ast.parse(source).body:
        if not (isinstance(cls, ast.ClassDef) and cls.name.endswith("Command")):
            continue
        for fn in cls.body:
            if not isinstance(fn, ast.FunctionDef) or fn.name == "__init__":
                continue
            aliases: dict[str, str] = {}

            def kind(e: ast.expr, aliases: dict[str, str] = aliases) -> str | None:
                if isinstance(e, ast.Name):
                    return aliases.get(e.id)
                if isinstance(e, ast.Attribute):
                    if e.attr == "model" and isinstance(e.value, ast.Name) and e.value.id == "self":
                        return "model"
                    if e.attr == "forces" and kind(e.value) == "model":
                        return "forces"
                return None

            allowed: set[int] = set()  # nodes that may be of a kind: bases and alias values
            for _ in range(2):  # m = self.model, then f = m.forces
                for node in ast.walk(fn):
                    if not isinstance(node, ast.Assign):
                        continue
                    pairs = []
                    for t in node.targets:
                        if isinstance(t, ast.Tuple) and isinstance(node.value, ast.Tuple):
                            pairs += zip(t.elts, node.value.elts, strict=True)
                        else:
                            pairs.append((t, node.value))
                    for t, v in pairs:
                        if isinstance(t, ast.Name) and kind(v):
                            aliases[t.id] = kind(v)
                            allowed.add(id(v))
            for node in ast.walk(fn):
                if isinstance(node, ast.Attribute) and kind(node.value):
                    allowed.add(id(node.value))
                    ok = MODEL_ORDERS if kind(node.value) == "model" else FORCE_ORDERS
                    if node.attr not in ok:
                        bad.append(f"{cls.name}.{fn.name}:{node.lineno}: reads "
                                   f"{kind(node.value)}.{node.attr}")
            for node in ast.walk(fn):
                if (isinstance(node, ast.expr) and kind(node) and id(node) not in allowed
                        and not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store))):
                    bad.append(f"{cls.name}.{fn.name}:{node.lineno}: hands on the "
                               f"{kind(node)} whole")
    return bad


def test_the_model_reads_check_catches_reads_and_escapes():
    snippet = ("class XCommand:\n"
               "    def __init__(self, model):\n        self.k = model.n_sectors\n"
               "    def step(self, pic):\n"
               "        m, f = self.model, self.model.forces\n"
               "        f.move([1], 2)\n        m.log('a', 'b', 'c')\n"
               "        x = m.kursk_ua_km2 + f.gsec[0] + self.model.day\n"
               "        g = m.forces\n        y = g.personnel\n        helper(m)\n")
    assert sorted(_model_reads(snippet)) == sorted([
        "XCommand.step:8: reads model.kursk_ua_km2", "XCommand.step:8: reads forces.gsec",
        "XCommand.step:8: reads model.day", "XCommand.step:10: reads forces.personnel",
        "XCommand.step:11: hands on the model whole"])


def test_commands_decide_from_the_day_picture_and_act_only_through_orders():
    """docs/ARCHITECTURE.md: a command's decisions read only the day's picture; the model
    and the force state are reached only to give orders (and log events)."""
    source = (SIM / "model" / "agents.py").read_text(encoding="utf-8")
    assert _model_reads(source) == []
    tree = ast.parse(source)
    steps = {cls.name: fn for cls in tree.body if isinstance(cls, ast.ClassDef)
             for fn in cls.body if isinstance(fn, ast.FunctionDef) and fn.name == "step"}
    assert set(steps) == {"Command", "RussianCommand", "UkrainianCommand", "PlayerCommand"}
    for name, fn in steps.items():
        assert [ast.unparse(a.annotation) for a in fn.args.args[1:]] == ["DayPicture"], name
