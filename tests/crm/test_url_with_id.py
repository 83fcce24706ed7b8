import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix

from kernel.links import url_with_id


@pytest.mark.parametrize("name", ["clients:detail", "projects:detail", "comms:message"])
def test_url_with_id_matches_reverse(name):
    for pk in (1, 42, 2**62):
        assert url_with_id(name, pk) == reverse(name, args=[pk])


def test_url_with_id_follows_the_script_prefix():
    set_script_prefix("/rapport/")
    try:
        assert url_with_id("clients:detail", 7) == reverse("clients:detail", args=[7]) == "/rapport/clients/7/"
    finally:
        set_script_prefix("/")
    assert url_with_id("clients:detail", 7) == "/clients/7/"


@override_settings(ROOT_URLCONF="devtools.floor")
def test_url_with_id_follows_the_urlconf():
    assert url_with_id("clients:detail", 3) == reverse("clients:detail", args=[3])


def test_url_with_id_refuses_routes_without_one_id():
    with pytest.raises(NoReverseMatch):
        url_with_id("today", 1)


def test_url_with_id_refuses_what_is_not_an_id():
    with pytest.raises(ValueError, match="invalid literal"):
        url_with_id("clients:detail", "1/../admin")


def test_link_filter():
    rendered = Template('{% load rapport %}{{ "clients:detail"|link:pk }}').render(Context({"pk": 5}))
    assert rendered == reverse("clients:detail", args=[5])
