from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairclick.domain.urls import UrlError, check_destination, merge_utm


@pytest.mark.parametrize(
    "url",
    [
        "https://primaire.example.org/ou-voter",
        "http://shop.example.com:8080/a?b=c#frag",
        "https://xn--bcher-kva.example/",
        "https://8.8.8.8/landing",
    ],
)
def test_public_http_urls_are_accepted(url: str) -> None:
    assert check_destination(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<script>",
        "ftp://example.com/",
        "https://localhost/",
        "http://intranet/",
        "https://192.168.1.1/",
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://user:pw@example.com/",
        "https://exa mple.com/",
        "https://example.com/\r\nSet-Cookie: x",
        "https://bad_host!.com/",
        "https://example.invalid/",
        "https://-example.com/",
        "",
        "https://" + "a" * 2100 + ".com/",
    ],
)
def test_unsafe_or_unresolvable_urls_are_refused(url: str) -> None:
    with pytest.raises(UrlError):
        check_destination(url)


@given(st.text(max_size=200))
def test_only_http_schemes_ever_pass(text: str) -> None:
    try:
        accepted = check_destination(text)
    except UrlError:
        return
    assert accepted.lower().startswith(("http://", "https://"))
    assert "\r" not in accepted and "\n" not in accepted


def test_utm_merge_keeps_existing_parameters() -> None:
    url = merge_utm(
        "https://a.example.org/p?utm_source=mine&x=1#top", source="x", medium="lucas", campaign="c"
    )
    assert url == "https://a.example.org/p?utm_source=mine&x=1&utm_medium=lucas&utm_campaign=c#top"
