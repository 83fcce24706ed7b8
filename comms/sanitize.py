"""Make inbound HTML safe to show. Pure: no ORM, no settings.

An allow-list (nh3): ordinary formatting survives; script, styles, event handlers, frames, forms,
``javascript:``/``data:`` URLs do not. Images from the web are replaced by their alt text: a
remote image is how a sender learns when (and where) the freelancer read the mail.
"""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}

# No style, class or id anywhere: CSS can load remote resources and overlay the page.
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}

# Their content is dropped with them, not shown as text.
DROPPED_WITH_CONTENT = {"script", "style", "title", "head", "template", "noscript", "iframe", "object", "textarea"}

URL_SCHEMES = {"http", "https", "mailto", "tel"}
LINK_REL = "noopener noreferrer nofollow"

_IMG = re.compile(r"<img\b((?:\s+[^\s=>]+(?:=\"[^\"]*\")?)*)\s*/?>", re.IGNORECASE)
_ALT = re.compile(r"\salt=\"([^\"]*)\"")


NH3_OPTIONS: dict[str, Any] = {
    "tags": ALLOWED_TAGS,
    "clean_content_tags": DROPPED_WITH_CONTENT,
    "attributes": ALLOWED_ATTRIBUTES,
    "url_schemes": URL_SCHEMES,
    "link_rel": LINK_REL,
    "set_tag_attribute_values": {"a": {"target": "_blank"}},
    "strip_comments": True,
}
"""What ``nh3.clean`` is given: the allow-lists above (the inbound bench's floor sanitises with the same)."""


def safe_html(html: str) -> str:
    """Sanitized HTML: safe to render inside the app's own pages."""
    if not html or not html.strip():
        return ""
    cleaned = nh3.clean(html, **NH3_OPTIONS)
    # `src` is not an allowed attribute, so no image loads anything; what is left of an <img>
    # is its alt text, shown in brackets so the reader knows a picture was there.
    return _IMG.sub(_image_placeholder, cleaned).strip()


def _image_placeholder(match: re.Match[str]) -> str:
    alt = _ALT.search(match.group(1))
    # The serializer leaves < and > unescaped inside attribute values: escape them for text.
    text = html_lib.escape(html_lib.unescape(alt.group(1))).strip() if alt else ""
    return f"[{text}]" if text else ""


def escaped_paragraphs(text: str) -> str:
    """Plain text as HTML: escaped, paragraphs on blank lines, line breaks kept."""
    paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return "\n".join(
        "<p>" + html_lib.escape(paragraph).replace("\n", "<br>\n") + "</p>" for paragraph in paragraphs if paragraph
    )
