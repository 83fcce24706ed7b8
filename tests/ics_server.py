"""A calendar server on loopback for the busy-calendar tests: no network beyond 127.0.0.1, no sleeps.

``served`` maps a path to ``(status, body)``; ``hits`` counts the requests per path.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class IcsServer:
    base: str
    served: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    redirects: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def serve(self, path: str, body: bytes, status: int = 200) -> str:
        self.served[path] = (status, body)
        return self.url(path)

    def redirect(self, path: str, to: str) -> str:
        """Answer ``path`` with a 302 to ``to`` (a path or a whole address)."""
        self.redirects[path] = to
        return self.url(path)


@contextmanager
def ics_server() -> Iterator[IcsServer]:
    state = IcsServer(base="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits[self.path] += 1
            if self.path in state.redirects:
                self.send_response(302)
                self.send_header("Location", state.redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status, body = state.served.get(self.path, (404, b"not here"))
            self.send_response(status)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def ics(*events: tuple[datetime, datetime], extra: str = "") -> bytes:
    """An iCalendar document with one busy VEVENT per ``(start, end)`` (UTC), and ``extra`` lines."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Rapport tests//EN"]
    for index, (start, end) in enumerate(events):
        lines += [
            "BEGIN:VEVENT",
            f"UID:busy-{index}@tests",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}",
            f"DTEND:{end.astimezone(UTC):%Y%m%dT%H%M%SZ}",
            "SUMMARY:Private",
            "END:VEVENT",
        ]
    if extra:
        lines += extra.splitlines()
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()
