"""Throwaway databases for benchmark commands, apart from the test suite's."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.test.utils import get_runner, setup_test_environment, teardown_test_environment


def _test_name(label: str) -> str:
    """Its own name, so a `make test` running at the same time keeps its database."""
    if connection.vendor == "sqlite":
        return str(settings.VAR_DIR / f"bench-{label}.sqlite3")
    name = f"test_{connection.settings_dict['NAME']}_bench_{label}"
    if len(name) > 63:  # PostgreSQL would cut it short, then fail to connect to it
        raise ValueError(f"Benchmark database name {name!r} is over 63 characters: shorten DATABASE_URL's name.")
    return name


@contextmanager
def throwaway_database(label: str) -> Iterator[None]:
    """Create a fresh database named after `label`, migrate it, drop it on the way out.

    DEBUG off, as in production.
    """
    setup_test_environment(debug=False)
    test = connection.settings_dict.setdefault("TEST", {})
    test["NAME"] = _test_name(label)
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    try:
        yield
    finally:
        runner.teardown_databases(old_config)
        teardown_test_environment()


@dataclass(frozen=True)
class Throwaway:
    name: str
    seconds: float  # creating and migrating it


@contextmanager
def throwaway_databases(labels: list[str]) -> Iterator[list[Throwaway]]:
    """Several fresh, migrated databases at once, one per label, all dropped on the way out.

    The default connection points at the last one; ``use_database`` switches between them.
    """
    setup_test_environment(debug=False)
    original = connection.settings_dict["NAME"]
    test = connection.settings_dict.setdefault("TEST", {})
    original_test_name = test.get("NAME")
    created: list[Throwaway] = []
    names = [_test_name(label) for label in labels]  # from the original name, before it changes
    try:
        for test_name in names:
            started = time.perf_counter()
            test["NAME"] = test_name
            name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
            created.append(Throwaway(name, time.perf_counter() - started))
        yield created
    finally:
        for database in created:
            use_database(database.name)
            connection.creation.destroy_test_db(original, verbosity=0)
        use_database(original)
        test["NAME"] = original_test_name
        teardown_test_environment()


def use_database(name: str) -> None:
    """Point the default connection at another database (it reconnects on the next query)."""
    connection.close()
    connection.settings_dict["NAME"] = name
    settings.DATABASES[connection.alias]["NAME"] = name
