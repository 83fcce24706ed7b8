"""A real CalDAV server (Radicale) on loopback for the CalDAV busy-calendar tests: no sleeps, no network.

Radicale runs in this process as a WSGI app on a free port of 127.0.0.1, in a thread, with plain
htpasswd users and its storage under the test's ``tmp_path``. ``radicale_server`` skips the test
with the reason when Radicale is not installed or cannot start.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import requests

USER = "anna"
PASSWORD = "s3cret-pass"


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@dataclass
class Radicale:
    base: str

    def calendar_url(self, name: str = "work") -> str:
        return f"{self.base}/{USER}/{name}/"

    def make_calendar(self, name: str = "work", display: str = "Work") -> str:
        """Create the calendar ``name`` of the test user (MKCALENDAR) and return its address."""
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>'
            f"<D:displayname>{display}</D:displayname>"
            "</D:prop></D:set></C:mkcalendar>"
        )
        url = self.calendar_url(name)
        response = requests.request("MKCALENDAR", url, data=body, auth=(USER, PASSWORD), timeout=10)
        assert response.status_code == 201, response.status_code
        return url

    def put(self, calendar_url: str, name: str, ics: str) -> None:
        response = requests.put(
            f"{calendar_url}{name}.ics",
            data=ics.encode(),
            auth=(USER, PASSWORD),
            headers={"Content-Type": "text/calendar; charset=utf-8"},
            timeout=10,
        )
        assert response.status_code in (201, 204), response.status_code

    def delete(self, calendar_url: str, name: str) -> None:
        response = requests.delete(f"{calendar_url}{name}", auth=(USER, PASSWORD), timeout=10)
        assert response.status_code in (200, 204), response.status_code

    def get(self, calendar_url: str, name: str) -> requests.Response:
        return requests.get(f"{calendar_url}{name}", auth=(USER, PASSWORD), timeout=10)


@contextmanager
def radicale_server(tmp_path: Path) -> Iterator[Radicale]:
    radicale = pytest.importorskip("radicale", reason="Radicale (requirements-dev.txt) is not installed")
    pytest.importorskip("radicale.config")
    users = tmp_path / "users"
    users.write_text(f"{USER}:{PASSWORD}\n")
    try:
        configuration = radicale.config.load([])
        configuration.update(
            {
                "storage": {"filesystem_folder": str(tmp_path / "collections")},
                "auth": {
                    "type": "htpasswd",
                    "htpasswd_filename": str(users),
                    "htpasswd_encryption": "plain",
                    "delay": "0",
                },
                "rights": {"type": "owner_only"},
                "logging": {"level": "critical", "mask_passwords": "True"},
            },
            "test",
            privileged=True,
        )
        application = radicale.Application(configuration)
        server: WSGIServer = make_server("127.0.0.1", 0, application, handler_class=_Quiet)
    except Exception as error:  # any reason Radicale cannot start skips the test
        pytest.skip(f"Radicale could not start: {type(error).__name__}: {error}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Radicale(base=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
