"""A throwaway database for benchmark commands, apart from the test suite's."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.test.utils import get_runner, setup_test_environment, teardown_test_environment


@contextmanager
def throwaway_database(label: str) -> Iterator[None]:
    """Create a fresh database named after `label`, migrate it, drop it on the way out.

    Its own name, so a `make test` running at the same time keeps its database; DEBUG
    off, as in production.
    """
    setup_test_environment(debug=False)
    test = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(settings.VAR_DIR / f"bench-{label}.sqlite3")
    else:
        test["NAME"] = f"test_{connection.settings_dict['NAME']}_bench_{label}"
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    try:
        yield
    finally:
        runner.teardown_databases(old_config)
        teardown_test_environment()
