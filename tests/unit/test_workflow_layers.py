"""The engine knows no business, and its modules import one another without a circle (issue
15): a business is a .bpmn, its forms and at most one module in services/workflow/businesses/,
registering hooks (services/workflow/hooks.py) that the core finds there at first use."""
import ast
import subprocess
import sys
from pathlib import Path

from services.common.config import PROJECT_ROOT

PACKAGE = "services.workflow"
ROOT = PROJECT_ROOT / "services" / "workflow"
BUSINESSES = f"{PACKAGE}.businesses"
# The core: what the brief of issue 15 names, and everything it stands on.
CORE = ("engine", "settings", "hooks", "checks", "forms", "model", "routing", "sandbox",
        "service", "service.base", "service.definitions", "service.instances",
        "service.inbox", "service.timers", "service.catalogue", "service.rules",
        "service.triggers", "service.operations", "service.rights", "events")


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join((PACKAGE, *parts))] = path
    return found


def _imports(name: str, path: Path, modules: dict) -> set[str]:
    """The package's modules that `name` imports, at the top or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            base = (f"{base}.{node.module}" if node.module else base) if node.level \
                else node.module
            # `from . import x` names a submodule when there is one
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t in modules and t != name)
    return found


def test_the_core_imports_no_business():
    modules = _modules()
    offenders = {name: sorted(t for t in _imports(name, path, modules) if t.startswith(BUSINESSES))
                 for name, path in modules.items() if not name.startswith(BUSINESSES)}
    assert {name: found for name, found in offenders.items() if found} == {}
    # And at run time: importing the core loads no business (hooks.load does, at first use).
    probe = ("import sys\n"
             + "".join(f"import {PACKAGE}.{name}\n" for name in CORE)
             + f"print(sorted(m for m in sys.modules if m.startswith('{BUSINESSES}.')))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin"},
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_no_import_circle_inside_workflow():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    state: dict[str, str] = {}
    circles = []

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                circles.append(" → ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_the_businesses_register_their_hooks():
    from services.workflow import hooks

    assert {"skills_competition", "talent_demand", "plan_project"} <= set(hooks.businesses())
    assert {"talent_demand", "plan_project"} <= set(hooks.checks())
    assert hooks.unit_sources()["competition"].starters == ("person",)
    competition = hooks.businesses()["skills_competition"]
    assert competition.entry == "/api/workflow/competitions" and competition.on_resubmit


def test_no_workflow_file_passes_the_split_rule():
    """DESIGN.md §2: a file past ~400 lines is split by topic."""
    long = {str(path.relative_to(ROOT)): n for path in _modules().values()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 450}
    assert long == {}
