"""Today's lines are written in Python (``desk_tags.today_lines``): every value escaped, every action in place."""

from django.template import Context, Template
from django.utils.safestring import mark_safe

from desk.digest import item

CSRF = mark_safe('<input type="hidden" name="csrfmiddlewaretoken" value="token">')
LABELS = {"urgent": "urgent", "angel": "Angel & co", "undo": "Undo", "download": "Download", "mark_seen": "Seen"}


def lines(*items) -> str:
    template = Template(
        "{% load desk_tags %}{% today_lines items csrf next urgent=urgent angel=angel undo=undo"
        " download=download mark_seen=mark_seen %}"
    )
    return template.render(Context({"items": items, "csrf": CSRF, "next": "/?a=1&b=2", **LABELS}))


def test_what_a_client_wrote_is_shown_as_text():
    html = lines(item('<b>Ann</b> "Co"', "<script>alert(1)</script>", '/c/1/"x', flag="<i>late</i>"))

    assert '<a href="/c/1/&quot;x" class="link-danger">&lt;b&gt;Ann&lt;/b&gt; &quot;Co&quot;</a>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<span class="badge text-bg-danger">&lt;i&gt;late&lt;/i&gt;</span>' in html
    assert "<script>" not in html


def test_a_plain_line_links_its_title_with_the_detail_under_it():
    html = lines(item("Ann", "2 days", "/c/1/"))

    assert '<a href="/c/1/">Ann</a>' in html
    assert '<span class="d-block small text-body-secondary">2 days</span>' in html
    assert "<form" not in html
    assert "data-testid" not in html


def test_badges_and_the_undo_form_post_back_to_today():
    html = lines(item("Reply", "in 5 min", "/o/1/", urgent=True, angel=True, cancel_url="/o/1/cancel/"))

    assert '<span class="badge text-bg-warning">urgent</span>' in html
    assert '<span class="badge text-bg-warning">Angel &amp; co</span>' in html
    assert '<form method="post" action="/o/1/cancel/">' + CSRF in html
    assert '<input type="hidden" name="next" value="/?a=1&amp;b=2">' in html
    assert ">Undo</button>" in html


def test_a_clients_file_can_be_downloaded_and_marked_seen():
    html = lines(item("brief.pdf", "Ann", "/f/1/", seen_url="/f/1/seen/", download_url="/f/1/get/"))

    assert 'data-testid="client-file"' in html
    assert '<a class="btn btn-outline-primary btn-sm" href="/f/1/get/" aria-label="Download"' in html
    assert '<form method="post" action="/f/1/seen/">' in html
    assert 'aria-label="Seen">✓</button>' in html


def test_portal_activity_is_marked_by_its_kind():
    html = lines(item("Approved", "Ann", "/p/1/", kind="approved", seen_url="/a/1/seen/"))

    assert 'data-testid="activity-approved"' in html
    assert "btn-outline-primary" not in html
