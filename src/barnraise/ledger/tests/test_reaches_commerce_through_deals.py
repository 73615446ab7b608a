"""The ledger's dependence on commerce is explicit and typed: one module of the ledger,
`ledger/deals.py`, imports commerce, at its top (no import hidden in a function), and never
commerce's models; the money steps the ledger registers with commerce's engine read the deal
through the typed `deals.Step` protocol, not `Any`."""

import ast
import inspect
import typing
from pathlib import Path

import barnraise.ledger
from barnraise.commerce import registry
from barnraise.ledger import deals

LEDGER = Path(barnraise.ledger.__file__).parent


def _commerce_imports(tree: ast.Module) -> list[tuple[str, int, bool]]:
    """(module, line, at module level) of each import of barnraise.commerce."""
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            if name == "barnraise.commerce" or name.startswith("barnraise.commerce."):
                found.append((name, node.lineno, id(node) in top))
    return found


def test_only_the_deals_module_imports_commerce_and_at_its_top():
    # given every module of the ledger but its tests
    modules = [p for p in LEDGER.rglob("*.py") if "tests" not in p.relative_to(LEDGER).parts]

    # when their imports of commerce are collected
    imports = {
        str(path.relative_to(LEDGER)): found
        for path in modules
        if (found := _commerce_imports(ast.parse(path.read_text())))
    }

    # then only deals.py has any, all at its top, and none of them reaches commerce's models
    assert set(imports) == {"deals.py"}
    assert all(at_top for _name, _line, at_top in imports["deals.py"])
    assert not [
        name for name, _line, _top in imports["deals.py"] if name.startswith("barnraise.commerce.models")
    ]


def test_the_ledgers_money_steps_read_the_deal_through_a_typed_protocol():
    # given the steps the processes name that the ledger registered with commerce
    steps = [registry.action(name) for name in registry.known_actions()]
    steps += [registry.guard(name) for name in registry.known_guards()]
    ledger_steps = {step.__name__: step for step in steps if step.__module__.startswith("barnraise.ledger.")}
    assert {"hold_payment", "request_capture", "release_to_provider", "guard_provider_can_be_paid"} <= set(
        ledger_steps
    )

    # then each takes the engine's context as deals.Step, and Step's deal is the Deal protocol
    for name, step in ledger_steps.items():
        (parameter,) = inspect.signature(step).parameters.values()
        assert typing.get_type_hints(step)[parameter.name] is deals.Step, name
    assert typing.get_type_hints(deals.Step.tx.fget)["return"] is deals.Deal
