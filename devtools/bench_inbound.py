"""How long one inbound message takes from raw bytes to a filed Message (``comms.inbound.receive``).

Runs in a throwaway database (``devtools.benchdb``), never the dev data nor the test suite's. The mix:
plain client mail in several charsets, replies with quoted history, HTML mail to sanitize,
unmatched senders and auto-replies, so parsing, sanitizing, threading and clocks all count.

Beside it, in the same run and on the same bytes, the floor (``parse_and_sanitize_floor``): what
reading the mail costs before Rapport does anything of its own. The target is ``receive`` within
``TARGET_RATIO`` times that floor.
"""

from __future__ import annotations

import email
import email.policy
import statistics
import time
from base64 import b64encode
from datetime import UTC, datetime, timedelta

import nh3

from clients.models import Client, Contact
from comms.inbound import receive
from comms.models import Message
from comms.sanitize import NH3_OPTIONS
from devtools.benchdb import throwaway_database
from kernel.models import Studio

START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
CLIENTS = 20
KOI8_SUBJECT = "=?koi8-r?B?" + b64encode("Правки по макету".encode("koi8-r")).decode() + "?="
TARGET_RATIO = 3


def parse_and_sanitize_floor(raw: bytes) -> None:
    """The least any inbound path must do with ``raw``: parse it with Python's ``email`` package
    (``message_from_bytes``, the default policy), take the text/plain and text/html body parts
    (``get_body`` + ``get_content``: transfer decoding and charset), and ``nh3.clean`` the HTML with
    the product's allow-lists (``comms.sanitize``). No headers decoded, no database, no threading."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    if text_part is not None:
        text_part.get_content()
    if html_part is not None:
        nh3.clean(html_part.get_content(), **NH3_OPTIONS)


def bench_inbound(n: int = 300) -> dict:
    """Receive ``n`` varied messages one by one, and run the floor on each of them.

    Returns {messages, median_ms, p95_ms, mean_ms, per_second} for ``receive``, with
    ``floor_median_ms`` (``parse_and_sanitize_floor``), ``ratio`` (receive median / floor median)
    and ``target_ratio``.
    """
    with throwaway_database("inbound"):
        return _bench(n)


def _bench(n: int) -> dict:
    studio = Studio.objects.create(
        name="Bench inbound", slug="bench-inbound", timezone="Europe/Berlin", sender_email="hello@bench.example"
    )
    for index in range(CLIENTS):
        client = Client.objects.create(studio=studio, name=f"Client {index}")
        Contact.objects.create(studio=studio, client=client, name=f"Contact {index}", email=f"c{index}@client.example")

    parse_and_sanitize_floor(sample_message(-1))
    receive(studio, sample_message(-1), received_at=START)  # warm imports and regex caches
    timings, floor_timings = [], []
    for index in range(n):
        raw = sample_message(index)
        started = time.perf_counter()
        parse_and_sanitize_floor(raw)
        floor_timings.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        receive(studio, raw, received_at=START + timedelta(minutes=index))
        timings.append((time.perf_counter() - started) * 1000)
    if Message.objects.filter(studio=studio).count() != n + 1:
        raise RuntimeError("bench_inbound: not every message was stored")
    timings.sort()
    median_ms, floor_median_ms = statistics.median(timings), statistics.median(floor_timings)
    return {
        "messages": n,
        "median_ms": median_ms,
        "p95_ms": timings[max(0, int(len(timings) * 0.95) - 1)],
        "mean_ms": statistics.fmean(timings),
        "per_second": 1000 / statistics.fmean(timings),
        "floor_median_ms": floor_median_ms,
        "ratio": median_ms / floor_median_ms,
        "target_ratio": TARGET_RATIO,
    }


_QUOTE = "".join(f"> line {line} of an earlier message in this conversation\n" for line in range(30))


def sample_message(index: int) -> bytes:
    """One of five kinds of realistic inbound mail, distinct by Message-ID."""
    kind = index % 5
    sender = f"c{index % CLIENTS}@client.example" if kind != 3 else f"stranger{index}@elsewhere.example"
    thread = index // 10
    head = (
        f"From: Contact <{sender}>\nTo: Studio <hello@bench.example>\n"
        f"Date: Mon, 30 Nov 2026 09:00:00 +0100\nMessage-ID: <bench-{index}@client.example>\nMIME-Version: 1.0\n"
    )
    if kind == 0:
        body = "Здравствуйте!\nПосмотрите, пожалуйста, правки по главной странице.\nСпасибо\n"
        return (
            head.encode()
            + f"Subject: {KOI8_SUBJECT} {thread}\nContent-Type: text/plain; charset=windows-1251\n"
            "Content-Transfer-Encoding: 8bit\n\n".encode()
            + body.encode("cp1251")
        )
    if kind == 1:
        body = f"Thanks, that works.\n\nOn Fri, 27 Nov 2026 at 17:00, Studio <hello@bench.example> wrote:\n{_QUOTE}"
        return (
            f"{head}Subject: Re: Project {thread}\nIn-Reply-To: <bench-{index - 5}@client.example>\n"
            f"Content-Type: text/plain; charset=utf-8\n\n{body}"
        ).encode()
    if kind == 2:
        html = (
            "<html><head><style>p{color:red}</style></head><body><p onclick='x()'>Hello, the <b>new</b> logo.</p>"
            '<img src="https://tracker.example/p.gif"><a href="https://client.example/">site</a>'
            + "<p>More text in a paragraph.</p>" * 20
            + "</body></html>"
        )
        return (
            f'{head}Subject: Logo {thread}\nContent-Type: multipart/alternative; boundary="B"\n\n'
            f"--B\nContent-Type: text/plain; charset=utf-8\n\nHello, the new logo.\n"
            f"--B\nContent-Type: text/html; charset=utf-8\n\n{html}\n--B--\n"
        ).encode()
    if kind == 3:
        return (
            f"{head}Subject: Inquiry {index}\nContent-Type: text/plain; charset=utf-8\n\nDo you build shops?\n".encode()
        )
    return (
        f"{head}Subject: Automatic reply: Project {thread}\nAuto-Submitted: auto-replied\n"
        "Content-Type: text/plain; charset=us-ascii\n\nI am out of the office.\n"
    ).encode()
