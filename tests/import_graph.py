"""The import graph, drawn from the code with `ast`, and the layer order it is held to (the table
in docs/architecture.md, Dependencies). tests/test_import_graph.py runs it on the code and on
tiny packages planted in tmp_path.

Every import counts, also one inside a function; only imports under `if TYPE_CHECKING:` and those
inside an `AppConfig.ready()` (where a higher app registers its hooks with a lower one) do not.
It reports an arrow that runs up or sideways against LAYERS (or up an app's own kit), a loop
between modules (a service enqueueing its own app's task, which calls the service back, is the
one loop allowed) or between units, a test that imports another test module (conftest fixtures
and an app's `factories` module are what tests share), and a test in the top-level tests/ that
reads one app alone.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Bottom to top. A unit imports only units on rows below its own: never up, never a neighbour.
# A unit is a top-level module or app of `barnraise`; `<app>.http` is an app's HTTP handlers
# (`api.py`, `*_api.py`), which sit on the HTTP row in the order of their apps. The API kit has
# two floors: `api.base` (shapes, cursors, strict input, client address, body limits) that any
# app may use, and `api` (bearer auth, idempotency, the error-answering NinjaAPI, health),
# which looks tokens up in accounts and so sits above every app.
LAYERS: tuple[tuple[str, ...], ...] = (
    (
        "barnraise",
        "errors",
        "ids",
        "db",
        "copies",
        "markup",
        "sqlite",
        "object_storage",
        "backups",
        "replica",
    ),
    ("money", "moments", "images", "ratelimits", "private_files", "api.base", "places"),
    ("pdfs",),
    ("notifications", "timers"),
    ("accounts",),
    ("eventlog",),
    ("catalog",),
    ("search", "commerce"),
    ("trust", "reputation", "ledger"),
    ("messaging", "casework"),
    ("api", "observability"),
    ("*.http",),
    ("web",),
    ("config", "demo"),
    ("benchmarks",),
    ("cli",),
)
# Inside an app, its kit runs down too: handlers, admin and tasks over services over selectors over
# models. A service may still enqueue its own app's task (see _enqueues).
KIT = {"models": 0, "selectors": 1, "services": 2, "api": 3, "admin": 3, "tasks": 3}
API_BASE = {"schemas", "pagination", "strict", "ratelimit", "middleware", "models"}


@dataclass(frozen=True)
class Arrow:
    source: str  # the importing module
    target: str  # the imported module
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line} -> {self.target}"


def modules_under(root: Path) -> dict[str, Path]:
    """Dotted name → file, for `barnraise` under root/src (or root) and the top-level tests/."""
    found: dict[str, Path] = {}
    for base, package in ((root / "src", "barnraise"), (root, "barnraise"), (root, "tests")):
        for path in sorted((base / package).rglob("*.py")):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found.setdefault(".".join(parts), path)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, in_apps_module: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, but those the checker excepts."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for other in node.orelse:
                yield from _imports(ast.Module(body=[other], type_ignores=[]), in_apps_module)
        elif in_apps_module and isinstance(node, ast.ClassDef):
            for item in node.body:
                if not (isinstance(item, ast.FunctionDef) and item.name == "ready"):
                    yield from _imports(ast.Module(body=[item], type_ignores=[]), in_apps_module)
        else:
            yield from _imports(node, in_apps_module)


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def arrows_in(modules: dict[str, Path]) -> list[Arrow]:
    """Each import of one of our modules by another, resolved to the module it loads."""
    found: list[Arrow] = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in _imports(tree, module.endswith(".apps")):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                names = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            for name in names:
                target = _resolve(name, modules) if name.split(".")[0] in ("barnraise", "tests") else None
                if target is not None and target != module:
                    found.append(Arrow(module, target, node.lineno))
    return found


def is_test(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "tests" or "tests" in parts or parts[-1] == "conftest"


def unit_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "barnraise"
    app = parts[1]
    inner = parts[2] if len(parts) > 2 else ""
    if app == "api":
        return "api.base" if inner in API_BASE else "api"
    if inner == "api" or inner.endswith("_api"):
        return f"{app}.http"
    return app


def rank_of(unit: str) -> tuple[int, int] | None:
    """(row, place within the HTTP row) of a unit; None for a unit LAYERS does not place."""
    rows = {name: index for index, row in enumerate(LAYERS) for name in row}
    if unit.endswith(".http"):
        app = rows.get(unit.removesuffix(".http"))
        return None if app is None else (rows["*.http"], app)
    return (rows[unit], 0) if unit in rows else None


def may_import(source: str, target: str) -> bool:
    """Down the rows; an app's HTTP handlers stand on their app: they import the API kit, their
    own app, and what sits below their app (other apps' handlers included)."""
    if source.endswith(".http"):
        source = source.removesuffix(".http")
        if target in ("api", "api.base", source):
            return True
        target = target.removesuffix(".http")
    above, below = rank_of(source), rank_of(target)
    return above is not None and below is not None and below < above


# An app that stands above another it must know only narrowly reaches it through one module, its
# port: the ledger reaches commerce only through ledger/deals.py (the steps it registers and the
# protocol of a deal that commerce's Transaction implements); commerce never imports the ledger.
PORTS = {("ledger", "commerce"): "barnraise.ledger.deals"}


def port_arrows(arrows: list[Arrow]) -> list[str]:
    wrong = []
    for arrow in arrows:
        source = unit_of(arrow.source).removesuffix(".http")
        target = unit_of(arrow.target).removesuffix(".http")
        port = PORTS.get((source, target))
        if port is not None and arrow.source != port and not is_test(arrow.source):
            wrong.append(f"{arrow}: {source} reaches {target} only through {port}")
    return wrong


def back_arrows(arrows: list[Arrow]) -> list[str]:
    """Arrows between units that do not run strictly down LAYERS."""
    wrong = []
    for arrow in arrows:
        if is_test(arrow.source) or is_test(arrow.target):
            continue
        source, target = unit_of(arrow.source), unit_of(arrow.target)
        if source == target:
            continue
        above, below = rank_of(source), rank_of(target)
        if above is None or below is None:
            wrong.append(f"{arrow}: {source if above is None else target} has no place in LAYERS")
        elif not may_import(source, target):
            wrong.append(f"{arrow}: {source} may not import {target}")
    return wrong


def loops(edges: set[tuple[str, str]]) -> list[list[str]]:
    """Each set of nodes that import one another round a loop (Tarjan's strongly connected parts)."""
    graph: dict[str, set[str]] = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            part = []
            while True:
                member = stack.pop()
                part.append(member)
                if member == node:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _enqueues(arrow: Arrow) -> bool:
    """A service enqueueing its own app's task (the task is the service run later, on commit)."""
    return arrow.target == ".".join([*arrow.source.split(".")[:2], "tasks"])


def module_loops(arrows: list[Arrow]) -> list[list[str]]:
    """Loops between modules; an app's services may enqueue its tasks, which call them back."""
    return loops(
        {(a.source, a.target) for a in arrows if not (is_test(a.source) or is_test(a.target) or _enqueues(a))}
    )


def app_loops(arrows: list[Arrow]) -> list[list[str]]:
    """Loops between units (an app, its HTTP handlers, a floor of the API kit)."""
    units = {
        (unit_of(a.source), unit_of(a.target)) for a in arrows if not (is_test(a.source) or is_test(a.target))
    }
    return loops({(source, target) for source, target in units if source != target})


def kit_arrows(arrows: list[Arrow]) -> list[str]:
    """Arrows up an app's own kit (a selector importing a service, a model a selector)."""
    wrong = []
    for arrow in arrows:
        source, target = arrow.source.split("."), arrow.target.split(".")
        if len(source) != 3 or len(target) != 3 or source[1] != target[1] or is_test(arrow.source):
            continue
        if source[2] in KIT and target[2] in KIT and KIT[target[2]] > KIT[source[2]] and not _enqueues(arrow):
            wrong.append(f"{arrow}: {source[2]} may not import {target[2]}")
    return wrong


def imports_of_test_modules(arrows: list[Arrow]) -> list[str]:
    """A test module importing another test module (its helpers belong in conftest or factories)."""
    return [
        f"{arrow}: move what it shares into a conftest fixture or the app's factories"
        for arrow in arrows
        if is_test(arrow.source) and arrow.target.rpartition(".")[2].startswith("test_")
    ]


APPS = {"notifications", "timers", "accounts", "eventlog", "catalog", "search", "commerce", "ledger"}
APPS |= {"trust", "reputation", "messaging", "web"}


def stray_app_tests(arrows: list[Arrow]) -> list[str]:
    """A test in the top-level tests/ that reads one app alone belongs in that app's tests/; tests/
    keeps what crosses apps, the CLI, the benchmarks, the browser journeys and the whole API."""
    reads: dict[str, set[str]] = {}
    for arrow in arrows:
        top_level_test = (
            arrow.source.startswith("tests.")
            and not arrow.source.startswith("tests.browser.")  # a journey is a page's, whatever it seeds
            and arrow.source.rpartition(".")[2].startswith("test_")
        )
        if top_level_test and not is_test(arrow.target):  # a foundation module read counts too (db, ids)
            reads.setdefault(arrow.source, set()).add(unit_of(arrow.target).removesuffix(".http"))
    return [
        f"{module}: tests only {app}; move it to barnraise/{app}/tests/"
        for module, units in sorted(reads.items())
        for app in units
        if units == {app} and app in APPS
    ]


def violations(root: Path, allowed: dict[tuple[str, str], str]) -> list[str]:
    arrows = arrows_in(modules_under(root))
    kept = [arrow for arrow in arrows if (arrow.source, arrow.target) not in allowed]
    found = back_arrows(kept) + port_arrows(kept) + kit_arrows(kept) + imports_of_test_modules(kept)
    found = list(dict.fromkeys(found))
    found += stray_app_tests(arrows)
    found += [f"loop between modules: {' <-> '.join(part)}" for part in module_loops(arrows)]
    found += [f"loop between apps: {' <-> '.join(part)}" for part in app_loops(arrows)]
    return found
