"""The layers hold by construction, not by imports hidden where the contract cannot see them.

import-linter (``lint-imports``, run by ``make test`` and ``make lint``) checks the layers over the
imports it finds; an import inside a function or under ``TYPE_CHECKING`` is how a cycle gets dodged
instead of removed, so product code has none, nor have the developer tools (``devtools``: bench, load
test) that sit on top of it. Django's convention stands: ``AppConfig.ready`` imports what it connects,
and the Celery app's signal handlers import models only once Django is set up.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT_PACKAGES = ("kernel", "clients", "comms", "projects", "billing", "guest", "desk", "crm")
# Installed by the development and test settings only, whose requirements (factory-boy, psycopg) they
# import at module level like any other: none of their imports has a reason to wait.
DEV_PACKAGES = ("devtools",)
# Run by Celery before Django's apps are loaded, so they may not import models at module level.
APP_LOADING = {
    ("crm/celery.py", name)
    for name in ("tick", "_worker_ready_heartbeat", "_reclaim_outbox_at_start", "_worker_heartbeat")
}


def modules(packages: tuple[str, ...]) -> list[Path]:
    return sorted(
        path for package in packages for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts
    )


def hidden_imports(path: Path) -> list[str]:
    """Imports inside a function (other than ``ready``) or under ``if TYPE_CHECKING``, as "file:line"."""
    tree = ast.parse(path.read_text(), filename=str(path))
    relative = path.relative_to(ROOT).as_posix()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name == "ready" or (relative, node.name) in APP_LOADING:
                continue
            inner = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
        elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inner = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
        else:
            continue
        found.extend(f"{relative}:{n.lineno}" for n in inner)
    return found


def test_product_code_has_no_import_hidden_in_a_function_or_under_type_checking():
    assert sorted({place for path in modules(PRODUCT_PACKAGES) for place in hidden_imports(path)}) == []


def test_devtools_have_no_import_hidden_in_a_function_or_under_type_checking():
    assert sorted({place for path in modules(DEV_PACKAGES) for place in hidden_imports(path)}) == []
