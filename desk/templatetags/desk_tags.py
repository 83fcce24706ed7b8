"""Today's section lines, written in Python: the page's longest loop, about a hundred lines at its busiest."""

from collections.abc import Iterable, Mapping
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from kernel.markup import escaped

register = template.Library()


@register.simple_tag
def today_lines(items: Iterable[Mapping[str, Any]], csrf: str, next_url: str, **labels: str) -> SafeString:
    """`{% today_lines section.items csrf today_url urgent=… angel=… undo=… download=… mark_seen=… %}`.

    One ``<li>`` per line (``desk.digest.item``): its title linked, red when flagged, the urgent and
    angel badges, the detail under it, and its action: undo a queued email, or download and mark a
    client's file or activity seen, each posting back to ``next_url``.
    """
    label = {name: escaped(text) for name, text in labels.items()}
    back = f'{escaped(csrf)}<input type="hidden" name="next" value="{escaped(next_url)}">'
    lines = []
    for item in items:
        if kind := item.get("kind"):
            testid = f' data-testid="activity-{escaped(kind)}"'
        else:
            testid = ' data-testid="client-file"' if item.get("download_url") else ""
        url, title = escaped(item["url"]), escaped(item["title"])
        if item["flag"]:
            heading = f'<span class="badge text-bg-danger">{escaped(item["flag"])}</span> '
            heading += f'<a href="{url}" class="link-danger">{title}</a>'
        else:
            heading = f'<a href="{url}">{title}</a>'
        if item.get("urgent"):
            heading += f' <span class="badge text-bg-warning">{label["urgent"]}</span>'
        if item.get("angel"):
            heading += f' <span class="badge text-bg-warning">{label["angel"]}</span>'
        tone = "text-danger" if item["flag"] else "text-body-secondary"
        lines.append(
            f'\n      <li class="py-1 d-flex justify-content-between align-items-start gap-2"{testid}>\n'
            f"        <span>{heading}\n"
            f'          <span class="d-block small {tone}">{escaped(item["detail"])}</span></span>\n'
            f"        {_action(item, back, label)}\n      </li>\n    "
        )
    return mark_safe("".join(lines))  # noqa: S308 - every value escaped, or markup built here


def _action(item: Mapping[str, Any], back: str, label: Mapping[str, str]) -> str:
    if cancel_url := item.get("cancel_url"):
        return (
            f'<form method="post" action="{escaped(cancel_url)}">{back}\n'
            f'          <button class="btn btn-outline-danger btn-sm" type="submit">{label["undo"]}</button></form>'
        )
    seen_url = item.get("seen_url")
    if not seen_url:
        return ""
    download = ""
    if download_url := item.get("download_url"):
        download = (
            f'<a class="btn btn-outline-primary btn-sm" href="{escaped(download_url)}"'
            f' aria-label="{label["download"]}" title="{label["download"]}">↓</a>'
        )
    return (
        f'<span class="d-flex gap-1 flex-shrink-0">{download}'
        f'<form method="post" action="{escaped(seen_url)}">{back}\n'
        '          <button class="btn btn-outline-secondary btn-sm" type="submit"'
        f' aria-label="{label["mark_seen"]}">✓</button></form></span>'
    )
