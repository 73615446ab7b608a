"""The import graph, drawn from the code with `ast`, held to the layer order of docs/architecture.md.

Every import counts, also one inside a function; only imports under `if TYPE_CHECKING:` and those
inside an `AppConfig.ready()` (where a higher app registers its hooks with a lower one) do not.
The graph fails on an arrow that runs up or sideways against LAYERS, on a loop between modules
(a service enqueueing its own app's task, which calls the service back, is the one loop allowed)
or between apps, and on a test that imports another test module (conftest fixtures and an app's
`factories` module are what tests share). LAYERS is the table in docs/architecture.md.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Bottom to top. A unit imports only units on rows below its own: never up, never a neighbour.
# A unit is a top-level module or app of `barnraise`; `<app>.http` is an app's HTTP handlers
# (`api.py`, `*_api.py`), which sit on the HTTP row in the order of their apps. The API kit has
# two floors: `api.base` (shapes, cursors, strict input, client address, body limits) that any
# app may use, and `api` (bearer auth, idempotency, the error-answering NinjaAPI, health),
# which looks tokens up in accounts and so sits above every app.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("barnraise", "errors", "ids", "db", "copies", "markup", "sqlite"),
    ("money", "moments", "images", "ratelimits", "api.base"),
    ("pdfs",),
    ("notifications", "timers"),
    ("accounts",),
    ("eventlog",),
    ("catalog",),
    ("search", "commerce", "ledger"),
    ("trust", "reputation"),
    ("messaging",),
    ("api",),
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

# Arrows that break the order today and that another item of issue #18 removes; each names its
# owner. The coordinator empties this at merge; an entry whose arrow is gone fails the suite.
ALLOWED: dict[tuple[str, str], str] = {
    # #18 items 4 and 5 (timersledger): the ledger's function-level imports of commerce go, for
    # the timers app and a typed protocol of a deal.
    ("barnraise.ledger.escrow", "barnraise.commerce.cancellation"): "#18 item 5: timersledger",
    ("barnraise.ledger.escrow", "barnraise.commerce.timers"): "#18 item 4: timersledger",
    ("barnraise.ledger.escrow", "barnraise.commerce.actions"): "#18 item 5: timersledger",
    ("barnraise.ledger.escrow", "barnraise.commerce.engine"): "#18 item 5: timersledger",
    ("barnraise.ledger.escrow", "barnraise.commerce.selectors"): "#18 item 5: timersledger",
    ("barnraise.ledger.escrow", "barnraise.commerce.registry"): "#18 item 5: timersledger",
    ("barnraise.ledger.api", "barnraise.commerce.selectors"): "#18 item 5: timersledger",
}


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


def violations(root: Path, allowed: dict[tuple[str, str], str]) -> list[str]:
    arrows = arrows_in(modules_under(root))
    kept = [arrow for arrow in arrows if (arrow.source, arrow.target) not in allowed]
    found = list(dict.fromkeys(back_arrows(kept) + kit_arrows(kept) + imports_of_test_modules(kept)))
    found += [f"loop between modules: {' <-> '.join(part)}" for part in module_loops(arrows)]
    found += [f"loop between apps: {' <-> '.join(part)}" for part in app_loops(arrows)]
    return found


# The code


def test_every_import_runs_down_the_layers_with_no_loop_and_no_test_importing_a_test() -> None:
    # given the code as it is
    # when its import graph is drawn
    found = violations(ROOT, ALLOWED)
    # then nothing runs against the order
    assert found == []


def test_every_allowed_arrow_still_exists() -> None:
    # given the arrows found in the code
    arrows = {(arrow.source, arrow.target) for arrow in arrows_in(modules_under(ROOT))}
    # then each allowance names one of them: an allowance that outlives its arrow hides the next
    assert [pair for pair in ALLOWED if pair not in arrows] == []


def test_every_app_and_module_of_the_code_has_a_place_in_the_layers() -> None:
    units = {unit_of(name) for name in modules_under(ROOT) if not is_test(name) and name != "barnraise"}
    assert sorted(unit for unit in units if rank_of(unit) is None) == []


# The checker, on tiny packages planted in tmp_path


def plant(root: Path, files: dict[str, str]) -> Path:
    for name, text in {"barnraise/__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(root).parents:
            if str(parent) != "." and not (root / parent / "__init__.py").exists():
                (root / parent / "__init__.py").write_text("")
        path.write_text(text)
    return root


def test_a_planted_back_arrow_inside_a_function_fails(tmp_path: Path) -> None:
    # given catalog importing commerce, inside a function
    root = plant(
        tmp_path,
        {
            "barnraise/commerce/models.py": "Y = 1\n",
            "barnraise/catalog/services.py": "def f():\n    from barnraise.commerce.models import Y\n",
        },
    )
    # when the graph is checked
    found = violations(root, {})
    # then the back-arrow is named, where it is
    assert found == [
        "barnraise.catalog.services:2 -> barnraise.commerce.models: catalog may not import commerce"
    ]


def test_an_arrow_between_neighbours_and_a_loop_between_apps_fail(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "barnraise/search/selectors.py": "from barnraise.commerce import selectors\n",
            "barnraise/commerce/selectors.py": "import barnraise.search.selectors\n",
        },
    )
    found = violations(root, {})
    assert (
        "barnraise.search.selectors:1 -> barnraise.commerce.selectors: search may not import commerce"
        in found
    )
    assert "loop between apps: commerce <-> search" in found
    assert "loop between modules: barnraise.commerce.selectors <-> barnraise.search.selectors" in found


def test_handlers_import_only_their_own_app_and_what_is_below_it(tmp_path: Path) -> None:
    # given catalog's handlers reaching up to search (#18 item 2), and search's down to catalog
    root = plant(
        tmp_path,
        {
            "barnraise/api/auth.py": "X = 1\n",
            "barnraise/catalog/selectors.py": "X = 1\n",
            "barnraise/search/selectors.py": "from barnraise.catalog import selectors\n",
            "barnraise/catalog/api.py": "from barnraise.api import auth\nfrom barnraise.search import selectors\n",
            "barnraise/search/api.py": "from barnraise.catalog import api, selectors\n",
        },
    )
    # then only the arrow up is named
    assert violations(root, {}) == [
        "barnraise.catalog.api:2 -> barnraise.search.selectors: catalog.http may not import search"
    ]


def test_the_kit_mounting_a_router_fails(tmp_path: Path) -> None:
    # given the API kit importing a context's router (#18 item 1)
    root = plant(
        tmp_path,
        {
            "barnraise/api/root.py": "def mount():\n    from barnraise.catalog.api import router\n",
            "barnraise/catalog/api.py": "router = None\n",
        },
    )
    assert violations(root, {}) == [
        "barnraise.api.root:2 -> barnraise.catalog.api: api may not import catalog.http"
    ]


def test_a_loop_inside_an_app_fails(tmp_path: Path) -> None:
    # given the loop of #18 item 7: services importing suspensions inside a function, and back
    root = plant(
        tmp_path,
        {
            "barnraise/trust/services.py": "def strike():\n    from barnraise.trust.suspensions import start\n",
            "barnraise/trust/suspensions.py": "from barnraise.trust.services import event_log\n",
        },
    )
    assert violations(root, {}) == [
        "loop between modules: barnraise.trust.services <-> barnraise.trust.suspensions"
    ]


def test_type_checking_imports_and_ready_registrations_are_not_arrows(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "barnraise/accounts/lifecycle.py": "HOOKS = []\n",
            "barnraise/accounts/models.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from barnraise.catalog.models import Listing\n"
            ),
            "barnraise/catalog/models.py": "from barnraise.accounts.models import User\n",
            "barnraise/accounts/apps.py": (
                "class AccountsConfig:\n    def ready(self):\n        from barnraise.catalog import models\n"
            ),
        },
    )
    assert violations(root, {}) == []
    # and an import elsewhere in apps.py still counts
    (root / "barnraise/accounts/apps.py").write_text("from barnraise.catalog import models\n")
    assert violations(root, {}) == [
        "barnraise.accounts.apps:1 -> barnraise.catalog.models: accounts may not import catalog",
        "loop between apps: accounts <-> catalog",
    ]


def test_a_test_importing_another_test_module_fails_and_conftest_and_factories_pass(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "barnraise/catalog/tests/conftest.py": "def listing():\n    pass\n",
            "barnraise/catalog/tests/factories.py": "class ListingFactory:\n    pass\n",
            "barnraise/catalog/tests/test_a.py": "def make():\n    pass\n",
            "barnraise/catalog/tests/test_b.py": (
                "from barnraise.catalog.tests.conftest import listing\n"
                "from barnraise.catalog.tests.factories import ListingFactory\n"
                "from barnraise.catalog.tests.test_a import make\n"
            ),
        },
    )
    assert violations(root, {}) == [
        "barnraise.catalog.tests.test_b:3 -> barnraise.catalog.tests.test_a: "
        "move what it shares into a conftest fixture or the app's factories"
    ]


def test_an_allowed_arrow_is_not_reported_but_still_closes_a_loop(tmp_path: Path) -> None:
    root = plant(
        tmp_path,
        {
            "barnraise/ledger/escrow.py": "def f():\n    from barnraise.commerce import engine\n",
            "barnraise/commerce/engine.py": "X = 1\n",
        },
    )
    allowed = {("barnraise.ledger.escrow", "barnraise.commerce.engine"): "#18 item 5"}
    assert violations(root, allowed) == []
    (root / "barnraise/commerce/engine.py").write_text("from barnraise.ledger import escrow\n")
    assert "loop between apps: commerce <-> ledger" in violations(root, allowed)


@pytest.mark.parametrize("unit", ["catalog", "catalog.http", "api", "api.base", "cli", "web"])
def test_every_named_unit_has_a_rank(unit: str) -> None:
    assert rank_of(unit) is not None


def test_a_service_enqueueing_its_own_task_is_no_loop_but_another_module_in_it_is(tmp_path: Path) -> None:
    # given a task calling its service, which enqueues the task inside a function
    root = plant(
        tmp_path,
        {
            "barnraise/ledger/tasks.py": "from barnraise.ledger import payouts\n",
            "barnraise/ledger/payouts.py": "def release():\n    from barnraise.ledger.tasks import pay\n",
        },
    )
    assert violations(root, {}) == []
    # when the service also reaches a module that imports it back
    (root / "barnraise/ledger/payouts.py").write_text("from barnraise.ledger import webhooks\n")
    (root / "barnraise/ledger/webhooks.py").write_text(
        "def on():\n    from barnraise.ledger import payouts\n"
    )
    # then that loop is named
    assert violations(root, {}) == [
        "loop between modules: barnraise.ledger.payouts <-> barnraise.ledger.webhooks"
    ]


def test_a_selector_importing_a_service_fails(tmp_path: Path) -> None:
    # given the other loop of #18 item 7 half made: selectors reaching up for services' token_digest
    root = plant(
        tmp_path,
        {
            "barnraise/accounts/services.py": "def token_digest(raw):\n    return raw\n",
            "barnraise/accounts/selectors.py": "def by_token(raw):\n    from barnraise.accounts.services import token_digest\n",
        },
    )
    assert violations(root, {}) == [
        "barnraise.accounts.selectors:2 -> barnraise.accounts.services: selectors may not import services"
    ]
