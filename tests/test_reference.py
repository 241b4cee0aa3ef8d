"""Reference parsing and normalisation: Docker's golden vectors and property tests."""

from __future__ import annotations

import contextlib
import re
import time

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from whichtag.errors import InvalidReferenceError, WhichtagError
from whichtag.names.reference import (
    is_valid_tag,
    parse_reference,
    validate_digest,
    validate_repository,
)

HEX = "a" * 64


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ubuntu", "docker.io/library/ubuntu:latest"),
        ("docker.io/ubuntu", "docker.io/library/ubuntu:latest"),
        ("index.docker.io/ubuntu", "docker.io/library/ubuntu:latest"),
        ("fluent/fluentd:latest", "docker.io/fluent/fluentd:latest"),
        ("nginx:1.27", "docker.io/library/nginx:1.27"),
        ("localhost/foo", "localhost/foo:latest"),
        ("localhost:5000/foo", "localhost:5000/foo:latest"),
        ("foo.local/x", "foo.local/x:latest"),
        ("foo:5000/x", "foo:5000/x:latest"),
        ("Foo/bar", "Foo/bar:latest"),
        ("LOCALDOMAIN/debian", "LOCALDOMAIN/debian:latest"),
        ("example.com", "docker.io/library/example.com:latest"),
        ("localhost", "docker.io/library/localhost:latest"),
        ("test.com:5000", "docker.io/library/test.com:5000"),
        ("docker.io/library/foo/bar", "docker.io/library/foo/bar:latest"),
        ("192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo:5050"),
        ("[::1]:5000/repo", "[::1]:5000/repo:latest"),
        ("xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage:xn--n3h.com"),
        ("lowercase:Uppercase", "docker.io/library/lowercase:Uppercase"),
        (f"docker.io/{HEX}", f"docker.io/library/{HEX}:latest"),
        ("registry.example.com:8443/a/b/c:tag", "registry.example.com:8443/a/b/c:tag"),
        (f"nginx@sha256:{HEX}", f"docker.io/library/nginx@sha256:{HEX}"),
        (
            "a/" * 127 + "a:tag-puts-this-over-max",
            "docker.io/" + "a/" * 127 + "a:tag-puts-this-over-max",
        ),
        ("example.com/" + "a" * 255, "example.com/" + "a" * 255 + ":latest"),
        (f"x@sha512:{'b' * 128}", f"docker.io/library/x@sha512:{'b' * 128}"),
    ],
)
def test_normalisation(text: str, expected: str) -> None:
    assert str(parse_reference(text)) == expected


def test_tag_and_digest_keeps_digest() -> None:
    reference = parse_reference(f"nginx:1.27@sha256:{HEX}")
    assert reference.digest == f"sha256:{HEX}"
    assert reference.tag == "1.27"


def test_familiar_form() -> None:
    assert parse_reference("docker.io/library/foo/bar").familiar == "library/foo/bar:latest"
    assert parse_reference("nginx").familiar == "nginx:latest"
    assert parse_reference("ghcr.io/org/app:v1").familiar == "ghcr.io/org/app:v1"
    assert parse_reference("nginx").endpoint_host == "registry-1.docker.io"


@pytest.mark.parametrize(
    "text",
    [
        "",
        ":tag",
        f"@sha256:{HEX}",
        "-docker",
        "docker///docker",
        "docker/Docker",
        "aa/asdf$$^/aa",
        "https://github.com/docker/docker",
        HEX,
        "[::1]",
        "[fe80::1%eth0]:5000/r",
        "[2001:db8:3:4::192.0.2.33]:5000/r",
        "fc00::1:5000/debian",
        "Uppercase:tag",
        "a/../b",
        "a/./b",
        "a//b",
        "a/b/",
        "x:" + "t" * 129,
        "x:-tag",
        "x:.tag",
        "x:tä",
        "x:v١",
        "ubuntu\n",
        "ubuntu ",
        "ub\x00untu",
        "x:tag%2e",
        "domain/" + "a" * 256,
        "x@sha256:" + "a" * 34,
        "x@sha256:" + "A" * 64,
        "x@sha256:" + "a" * 63,
        "x@sha256:" + "a" * 65,
        "x@sha384:" + "a" * 96,
        "x@md5:" + "a" * 32,
        "x@sha256:",
        "x" * 5000,
    ],
)
def test_rejected(text: str) -> None:
    with pytest.raises(InvalidReferenceError):
        parse_reference(text)


def test_tag_lengths() -> None:
    assert is_valid_tag("t" * 128)
    assert not is_valid_tag("t" * 129)
    for bad in ["..", ".", "-x", "tag/x", "tag\n", "", None, 5]:
        assert not is_valid_tag(bad)


def test_digests_from_servers_are_validated() -> None:
    for bad in ["sha256:../../etc", "sha256:abc/def", "nocolon", "sha256:" + "g" * 64]:
        with pytest.raises(InvalidReferenceError):
            validate_digest(bad)
    with pytest.raises(InvalidReferenceError):
        validate_repository("a/../b")


def test_adversarial_input_is_fast() -> None:
    for text in ["a-" * 2000 + "!", "a." * 2000 + "a/!", "a/" * 2000 + "!", "a" * 100_000]:
        start = time.perf_counter()
        with pytest.raises(InvalidReferenceError):
            parse_reference(text)
        assert time.perf_counter() - start < 0.05


# --- properties -----------------------------------------------------------------------------

_component = st.from_regex(
    re.compile(r"[a-z0-9]{1,6}(?:(?:[._]|__|-{1,2})[a-z0-9]{1,6}){0,2}", re.ASCII), fullmatch=True
)
_path = st.lists(_component, min_size=1, max_size=4).map("/".join)
_tag = st.from_regex(re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", re.ASCII), fullmatch=True)
_host = st.sampled_from(
    ["", "localhost/", "localhost:5000/", "ghcr.io/", "registry.example.com:8443/", "[::1]:5000/"]
)


@given(host=_host, path=_path, tag=_tag)
def test_valid_references_round_trip(host: str, path: str, tag: str) -> None:
    # Without a host, a first component with a '.' is taken as a registry host (Docker's rule).
    assume(host or "." not in path.split("/")[0])
    reference = parse_reference(f"{host}{path}:{tag}")
    assert reference.tag == tag
    again = parse_reference(str(reference))
    assert again == reference
    assert parse_reference(reference.familiar) == reference


@settings(max_examples=500)
@given(st.text(max_size=300))
def test_any_text_parses_or_raises_our_error(text: str) -> None:
    try:
        reference = parse_reference(text)
    except WhichtagError:
        return
    assert parse_reference(str(reference)) == reference
    assert str(reference).isascii()


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=200))
def test_ascii_text_parses_or_raises_our_error(text: str) -> None:
    with contextlib.suppress(WhichtagError):
        parse_reference(text)
