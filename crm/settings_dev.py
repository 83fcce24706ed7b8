"""Development settings: production settings plus the developer tools (``make bench``, ``make loadtest``).

The ``devtools`` package is left out of the image (``.dockerignore``); only these settings and the
test settings install it.
"""

from crm.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]  # noqa: F405
