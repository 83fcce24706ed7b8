#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loads the settings module
    except ImproperlyConfigured as error:
        # One clear line instead of a traceback that ends in an unrelated AppRegistryNotReady.
        sys.exit(f"Rapport is not configured: {error}")

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
