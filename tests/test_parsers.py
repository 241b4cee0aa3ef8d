"""WWW-Authenticate, Link, Retry-After and tag-name parsers: exact, and total on garbage."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from whichtag.auth.challenge import Challenge, parse_challenges, preferred_challenge
from whichtag.errors import ProtocolError, SecurityError, WhichtagError
from whichtag.names.tagnames import is_signature_tag, natural_sorted
from whichtag.net.links import next_link, parse_links, resolve_next_page
from whichtag.net.throttle import parse_retry_after


def test_bearer_challenge() -> None:
    [challenge] = parse_challenges(
        'Bearer realm="https://auth.example/token",service="x",scope="repository:a/b:pull"'
    )
    assert challenge.scheme == "bearer"
    assert challenge.params == {
        "realm": "https://auth.example/token",
        "service": "x",
        "scope": "repository:a/b:pull",
    }


def test_several_challenges_bearer_preferred() -> None:
    one_line = parse_challenges('Basic realm="x", Bearer realm="https://a/t"')
    two_lines = parse_challenges(['Basic realm="x"', 'Bearer realm="https://a/t"'])
    for challenges in (one_line, two_lines):
        assert [c.scheme for c in challenges] == ["basic", "bearer"]
        preferred = preferred_challenge(challenges)
        assert preferred is not None and preferred.scheme == "bearer"


def test_case_unquoted_and_escapes() -> None:
    [challenge] = parse_challenges('BeArEr ReAlM="a\\"b,c", service=reg.io')
    assert challenge.get("REALM") == 'a"b,c'
    assert challenge.get("service") == "reg.io"


def test_scope_with_port_is_kept_whole() -> None:
    [challenge] = parse_challenges('Bearer realm="https://a",scope="repository:host:5000/a:pull"')
    assert challenge.get("scope") == "repository:host:5000/a:pull"


@pytest.mark.parametrize(
    "header",
    [
        'Bearer realm="x',
        'Bearer realm="x\\',
        'Basic realm="Dev" charset="UTF-8"',
        'Bearer realm="x",realm="y"',
        'Bearer realm="x", service=,',
        'realm="x"',
        "x" * 20000,
    ],
)
def test_malformed_challenges(header: str) -> None:
    with pytest.raises(ProtocolError):
        parse_challenges(header)


def test_unknown_scheme_is_ignored() -> None:
    challenges = parse_challenges('Negotiate abc==, Digest realm="x", nonce="y"')
    assert [c.scheme for c in challenges] == ["negotiate", "digest"]
    assert preferred_challenge(challenges) is None


_value = st.text(alphabet=st.characters(codec="ascii", exclude_characters="\r\n"), max_size=30)
_key = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


@given(st.dictionaries(_key, _value, min_size=1, max_size=5))
def test_challenge_round_trip(params: dict[str, str]) -> None:
    quoted = ", ".join(
        f'{key}="' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for key, value in params.items()
    )
    assert parse_challenges(f"Bearer {quoted}") == [Challenge("bearer", params)]


@given(st.text(max_size=400))
def test_challenge_parser_is_total(text: str) -> None:
    with contextlib.suppress(ProtocolError):
        parse_challenges(text)


# --- Link -----------------------------------------------------------------------------------


def test_link_next_chosen() -> None:
    header = '</v2/r/tags/list?n=2&last=a>; rel="prev", </v2/r/tags/list?n=2&last=b>; rel="next"'
    assert next_link(header) == "/v2/r/tags/list?n=2&last=b"
    assert next_link('</x>; rel="prev"') is None
    assert next_link('</x>; rel="first next"') == "/x"


def test_link_resolution_same_origin_only() -> None:
    base = "https://reg.example/v2/r/tags/list?n=2"
    assert (
        resolve_next_page(base, "/v2/r/tags/list?n=2&last=b")
        == "https://reg.example/v2/r/tags/list?n=2&last=b"
    )
    assert resolve_next_page(base, "https://reg.example:443/v2/r/tags/list?last=b").startswith(
        "https://reg.example"
    )
    for target in [
        "https://evil.example/v2/r/tags/list",
        "https://reg.example:444/v2/r/tags/list",
        "http://reg.example/v2/r/tags/list",
        "http://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
    ]:
        with pytest.raises(SecurityError):
            resolve_next_page(base, target)


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("http://[::1/v2/r/tags/list", ProtocolError),
        ("https://reg.example:99999/v2/r/tags/list", ProtocolError),
        ("https://user:pw@reg.example/v2/r/tags/list", SecurityError),
        ("/v2/r/tags/list?last=\x1b", ProtocolError),
    ],
)
def test_malformed_link_targets_are_clean_errors(target: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        resolve_next_page("https://reg.example/v2/r/tags/list", target)


@pytest.mark.parametrize(
    "header", ["/v2/x; rel=next", "<>; rel=next", '</x>; rel="next', "<" * 20000]
)
def test_malformed_links(header: str) -> None:
    with pytest.raises(ProtocolError):
        parse_links(header)


@given(st.text(max_size=300))
def test_link_parser_is_total(text: str) -> None:
    try:
        target = next_link(text)
        if target is not None:
            resolve_next_page("https://reg.example/v2/r/tags/list", target)
    except WhichtagError:
        pass


@given(
    st.from_regex(r"/v2/[a-z]{1,8}/tags/list\?n=[0-9]{1,4}&last=[a-z0-9.]{1,10}", fullmatch=True)
)
def test_link_round_trip(target: str) -> None:
    assert next_link(f'<{target}>; rel="next"') == target


# --- Retry-After and tag names --------------------------------------------------------------


def test_retry_after_forms() -> None:
    assert parse_retry_after("3", 60) == 3
    assert parse_retry_after("100000", 60) == 60
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 60) == 0
    for bad in ["-1", "abc", "1e9", "٣", "", None]:
        assert parse_retry_after(bad, 60) is None


def test_natural_order() -> None:
    tags = ["v0.12.31", "latest", "v0.12", "1.10", "1.9", "stable", "v0.12.9"]
    assert natural_sorted(tags) == [
        "1.9",
        "1.10",
        "latest",
        "stable",
        "v0.12",
        "v0.12.9",
        "v0.12.31",
    ]


def test_signature_tags() -> None:
    hexpart = "0123456789abcdef" * 4
    assert is_signature_tag(f"sha256-{hexpart}")
    assert is_signature_tag(f"sha256-{hexpart}.sig")
    assert is_signature_tag(f"sha256-{hexpart}.att")
    assert not is_signature_tag(f"sha256-{hexpart[:-1]}.sig")
    assert not is_signature_tag("v1.0")
