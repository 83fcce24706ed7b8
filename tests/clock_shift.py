"""The session-wide clock shift (``--clock-shift-days`` / ``RAPPORT_CLOCK_SHIFT_DAYS``), for child processes too.

A test that starts a Python process (a real Celery worker) builds its command with ``python_module()``.
When the session runs with its clock shifted, the child runs through this module's ``main``, which moves
its clock by the same number of days before the module starts: rows the test wrote "now" are due for the
child as well. Without a shift the command is plain ``python -m MODULE``.
"""

import os
import runpy
import sys
from datetime import UTC, datetime, timedelta

import time_machine

SHIFT_ENV = "RAPPORT_CLOCK_SHIFT_DAYS"


def shift_days() -> int:
    return int(os.environ.get(SHIFT_ENV, "0") or 0)


def python_module(module: str, *args: str) -> list[str]:
    if shift_days():
        return [sys.executable, "-m", "tests.clock_shift", module, *args]
    return [sys.executable, "-m", module, *args]


def main() -> None:
    module, *args = sys.argv[1:]
    time_machine.travel(datetime.now(UTC) + timedelta(days=shift_days()), tick=True).start()
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
