"""An article's public address is reversed once per slug, and is still the address Django's URL
configuration gives, under the site's script prefix and under another URL configuration."""

from __future__ import annotations

from django.test import override_settings
from django.urls import clear_script_prefix, reverse, set_script_prefix

from articles.addresses import article_url


def test_the_kept_address_is_the_reversed_one() -> None:
    assert article_url("knee-pain") == reverse("public:detail", kwargs={"slug": "knee-pain"})
    assert article_url("knee-pain") == "/articles/knee-pain/"


def test_a_script_prefix_gives_its_own_address() -> None:
    assert article_url("knee-pain") == "/articles/knee-pain/"
    set_script_prefix("/health/")
    try:
        assert article_url("knee-pain") == "/health/articles/knee-pain/"
    finally:
        clear_script_prefix()
    assert article_url("knee-pain") == "/articles/knee-pain/"


def test_another_url_configuration_is_asked_again() -> None:
    assert article_url("knee-pain") == "/articles/knee-pain/"  # kept for the site's own
    with override_settings(ROOT_URLCONF="tests.articles.other_urls"):
        assert article_url("knee-pain") == "/elsewhere/knee-pain/"
    assert article_url("knee-pain") == "/articles/knee-pain/"
