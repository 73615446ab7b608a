"""The import graph of the code is held to the layer order (tests/import_graph.py, and the table
in docs/architecture.md); the checker is shown failing on planted back-arrows, loops and test
imports."""

from pathlib import Path

import pytest

from tests.import_graph import arrows_in, is_test, modules_under, rank_of, unit_of, violations

ROOT = Path(__file__).resolve().parent.parent

# Arrows that break the order today and that another item of issue #18 removes; each names its
# owner. The coordinator empties this at merge; an entry whose arrow is gone fails the suite.
ALLOWED: dict[tuple[str, str], str] = {}


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


def test_a_test_of_one_app_in_the_top_level_tests_fails(tmp_path: Path) -> None:
    # given a test in tests/ that reads catalog alone, and ones that cross catalog and another unit
    root = plant(
        tmp_path,
        {
            "barnraise/money.py": "X = 1\n",
            "barnraise/catalog/models.py": "X = 1\n",
            "barnraise/commerce/models.py": "from barnraise.catalog import models\n",
            "tests/test_listings.py": "from barnraise.catalog import models\n",
            "tests/test_money.py": "from barnraise import money\nfrom barnraise.catalog import models\n",
            "tests/test_deals.py": "from barnraise.catalog import models\nfrom barnraise.commerce import models\n",
        },
    )
    assert violations(root, {}) == [
        "tests.test_listings: tests only catalog; move it to barnraise/catalog/tests/"
    ]


def test_the_ledger_reaches_commerce_only_through_its_port(tmp_path: Path) -> None:
    # given the ledger's port importing commerce, and its escrow doing so inside a function
    root = plant(
        tmp_path,
        {
            "barnraise/commerce/engine.py": "X = 1\n",
            "barnraise/ledger/deals.py": "from barnraise.commerce import engine\n",
            "barnraise/ledger/escrow.py": "def settle():\n    from barnraise.commerce import engine\n",
        },
    )
    # then only the escrow's arrow is named
    assert violations(root, {}) == [
        "barnraise.ledger.escrow:2 -> barnraise.commerce.engine: ledger reaches commerce only through "
        "barnraise.ledger.deals"
    ]
