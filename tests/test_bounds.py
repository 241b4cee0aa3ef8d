"""Hostile input stays bounded, server text never reaches the terminal raw, and an answer is
complete only when it can be."""

from __future__ import annotations

import asyncio
import gzip
import json
import subprocess
import sys
import threading
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from testkit.front import Front, Reply, Request

from conftest import CliRun, Seeded, run_process
from whichtag.answer.lookup import MISSING_FROM_LIST
from whichtag.auth.authorizer import Authorizer
from whichtag.cli.terminal import printable
from whichtag.errors import EXIT_ERROR, EXIT_INCOMPLETE, EXIT_OK, ProtocolError
from whichtag.net.throttle import OriginGate
from whichtag.registry.distribution import MAX_WARNINGS

Run = Callable[..., CliRun]
ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]
ROOT = Path(__file__).resolve().parent.parent


def _json(status: int, document: object, **headers: str) -> Reply:
    body = json.dumps(document).encode()
    return Reply(status, {"Content-Type": "application/json", **headers}, body)


def _tag_list(tags: object, **headers: str) -> Callable[[Request], Reply | None]:
    def serve(request: Request) -> Reply | None:
        if "/tags/list" in request.path:
            return _json(200, {"name": "fluent/fluentd", "tags": tags}, **headers)
        return None

    return serve


# -- the tag list: invalid entries count toward the limits ------------------------------------


def test_a_page_of_invalid_entries_stops_at_the_tag_limit(plain: Seeded, run: Run) -> None:
    page = 0

    def invalid_pages(request: Request) -> Reply | None:
        nonlocal page
        if "/tags/list" in request.path:
            page += 1
            more = {"Link": f'</v2/fluent/fluentd/tags/list?last=p{page}>; rel="next"'}
            # three pages, then the end: uncounted entries would make a complete-looking run
            return _json(200, {"tags": [1] * 5000}, **(more if page < 3 else {}))
        return None

    with Front(plain.host, override=invalid_pages) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--max-tags", "1000")
        pages = [s for s in front.seen if "/tags/list" in s.path]
    assert result.code == EXIT_ERROR
    assert "lists more than 1000 tags" in result.err
    assert len(pages) == 1


def test_millions_of_invalid_entries_on_one_page(plain: Seeded) -> None:
    """A 12 MB page of three million ``1``s: refused at the default limit, memory bounded."""
    body = b'{"tags": [' + b",".join([b"1"] * 3_000_000) + b"]}"

    def huge(request: Request) -> Reply | None:
        if "/tags/list" in request.path:
            return Reply(200, {"Content-Type": "application/json"}, body)
        return None

    probe = (
        "import resource, sys\n"
        "from whichtag.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    with Front(plain.host, override=huge) as front:
        completed = subprocess.run(
            [sys.executable, "-c", probe, f"{front.host}/fluent/fluentd:latest"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert completed.returncode == EXIT_ERROR
    assert "lists more than 1000000 tags" in completed.stderr
    peak_kib = int(completed.stderr.strip().splitlines()[-1])
    assert peak_kib < 400 * 1024, f"peak RSS {peak_kib} KiB"


# -- headers: Warning bounded, no compression asked for ---------------------------------------


def test_warnings_are_deduplicated_and_capped(plain: Seeded, run: Run) -> None:
    """Fifty distinct Warning lines on every response: each shown once, at most MAX_WARNINGS."""
    texts = [f'299 - "deprecated {n}"' for n in range(50)]

    def decorate(request: Request) -> Reply | None:
        return _with_headers(front.forward(request), [("Warning", text) for text in texts])

    with Front(plain.host, override=decorate) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_OK, result.err
    shown = [line for line in result.err.splitlines() if "registry warning" in line]
    assert len(shown) == MAX_WARNINGS
    assert shown[0].endswith("deprecated 0")
    assert len(set(shown)) == len(shown)


def _with_headers(reply: Reply, headers: list[tuple[str, str]]) -> Reply:
    """A raw response carrying repeated header lines (the Front's dict holds one per name)."""
    head = f"HTTP/1.1 {reply.status} X\r\n"
    for key, value in [*reply.headers.items(), *headers]:
        if key.lower() not in ("content-length", "connection", "transfer-encoding"):
            head += f"{key}: {value}\r\n"
    head += f"Content-Length: {len(reply.body)}\r\nConnection: close\r\n\r\n"
    return Reply(raw=head.encode() + reply.body)


def test_no_compression_is_asked_for(plain: Seeded, run: Run) -> None:
    """A front that gzips whatever the client accepts gzipped: whichtag accepts only identity,
    so manifests are hashed over the exact bytes and every parser sees plain JSON."""

    def compress(request: Request) -> Reply | None:
        reply = front.forward(request)
        accepted = request.headers.get("Accept-Encoding", "")
        if "gzip" in accepted and reply.body:
            reply.body = gzip.compress(reply.body)
            reply.headers["Content-Encoding"] = "gzip"
        return reply

    with Front(plain.host, override=compress) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
        encodings = {s.headers.get("Accept-Encoding") for s in front.seen}
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES
    assert encodings == {"identity"}


# -- tokens and timeouts ----------------------------------------------------------------------


@pytest.mark.parametrize("token", ["abc\rdef", "abc\x00def", "abc def", "abc\x1b[2Jdef"])
def test_token_with_control_characters_is_a_clean_error(run: Run, token: str) -> None:
    def token_service(request: Request) -> Reply:
        return _json(200, {"token": token, "expires_in": 300})

    with Front(None, override=token_service) as auth:

        def registry(request: Request) -> Reply:
            challenge = f'Bearer realm="http://{auth.host}/token",service="reg"'
            return Reply(401, {"WWW-Authenticate": challenge}, b"")

        with Front(None, override=registry) as front:
            result = run(f"{front.host}/fluent/fluentd:latest")
    assert result.code == EXIT_ERROR
    assert "no usable token" in result.err
    assert "internal error" not in result.err


def test_timeout_with_a_stalled_token_server_prints_only_the_timeout(plain: Seeded) -> None:
    stalled = threading.Event()

    def stall(request: Request) -> Reply:
        stalled.wait(20)
        return _json(200, {"token": "late"})

    with Front(None, override=stall) as auth:

        def challenge(request: Request) -> Reply | None:
            realm = f'Bearer realm="http://{auth.host}/token",service="reg"'
            return Reply(401, {"WWW-Authenticate": realm}, b"")

        with Front(plain.host, override=challenge) as front:
            result = run_process(f"{front.host}/fluent/fluentd:latest", "--timeout", "1")
        stalled.set()
    assert result.code == EXIT_ERROR
    assert result.err.splitlines() == [
        "whichtag: error: gave up after 1 s (--timeout)",
        "hint: raise --timeout, or check that the registry is answering",
    ], result.err
    assert result.seconds < 10


def test_cancelled_while_waiting_out_retry_after_frees_the_slot() -> None:
    async def scenario() -> int:
        gate = OriginGate(1)
        gate.throttled(30.0)  # Retry-After: 30
        waiter = asyncio.ensure_future(gate.acquire())
        await asyncio.sleep(0.05)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        return gate.active

    assert asyncio.run(scenario()) == 0


def test_shared_token_fetch_failure_is_retrieved_when_its_waiters_are_gone() -> None:
    """A waiter cancelled while the shared fetch goes on: the fetch's failure is collected."""
    seen: list[dict[str, object]] = []

    async def scenario() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: seen.append(context))
        authorizer = Authorizer(None, "https://reg.example", None)  # type: ignore[arg-type]

        async def failing(*_: object) -> None:
            await asyncio.sleep(0.05)
            raise ProtocolError("token service broke")

        authorizer._fetch_token = failing  # type: ignore[assignment,method-assign]
        from whichtag.auth.challenge import Challenge

        waiter = asyncio.ensure_future(
            authorizer._token(Challenge("bearer", {"realm": "https://a/t"}), "s")
        )
        await asyncio.sleep(0.01)
        waiter.cancel()
        await asyncio.sleep(0.1)
        import gc

        gc.collect()

    asyncio.run(scenario())
    assert seen == []


# -- the output boundary ----------------------------------------------------------------------


def test_printable_escapes_what_could_steer_a_terminal() -> None:
    assert printable("ok-tag_1.2") == "ok-tag_1.2"
    assert printable("\x1b[31mred") == "\\x1b[31mred"
    assert printable("a\nb\rc\td\x00e\x7f") == "a\\x0ab\\x0dc\\x09d\\x00e\\x7f"
    assert printable("\x9b2J") == "\\x9b2J"  # C1 CSI
    assert printable("test\u202egnp.exe") == "test\\u202egnp.exe"
    assert printable("\u2066x\u2069\u200f") == "\\u2066x\\u2069\\u200f"
    assert printable("ünïcode ✓") == "ünïcode ✓"
    assert printable("bad \udc9b byte") == "bad \\udc9b byte"


@pytest.mark.parametrize("invisible", ["\u200b", "\u00ad", "\u2060", "\ufeff", "\U000e0061"])
def test_invisible_characters_are_escaped(invisible: str) -> None:
    """``late\u200bst`` must not print as ``latest``."""
    shown = printable(f"late{invisible}st")
    assert shown != "latest" and invisible not in shown and shown.startswith("late\\")


def test_every_format_character_is_escaped() -> None:
    """Unicode's format characters (Cf) are all invisible or reorder text: none gets through."""
    formats = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    assert len(formats) > 150
    assert [hex(ord(c)) for c in formats if printable(c) == c] == []


def test_server_text_reaches_the_terminal_escaped(plain: Seeded, run: Run) -> None:
    evil_tag = "v1\x1b]0;owned\x07\u202e"
    message = "denied \x1b[2J\x1b[H you have been \u202eowned"

    def hostile(request: Request) -> Reply | None:
        if "/tags/list" in request.path:
            tags = ["latest", "stable", "v0.12", "v0.12.31", "edge", evil_tag]
            return _json(200, {"name": "fluent/fluentd", "tags": tags})
        if "/manifests/edge" in request.path:  # HEAD refused, so the GET's body is read
            if request.method == "HEAD":
                return Reply(405)
            return _json(403, {"errors": [{"code": "DENIED", "message": message}]})
        warning = '299 - "moved \x1b[5mhere\u202e"'  # _with_headers sends it as UTF-8 bytes
        return _with_headers(front.forward(request), [("Warning", warning)])

    with Front(plain.host, override=hostile) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--debug")
        as_json = run(f"{front.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_INCOMPLETE
    everything = result.out + result.err
    for raw in ("\x1b", "\x07", "\u202e"):
        assert raw not in everything
    assert "v1\\x1b]0;owned\\x07\\u202e" in result.err
    assert "\\x1b[2J" in result.err
    assert "moved \\x1b[5mhere\\u202e" in result.err
    # --json carries the same text, escaped by the JSON encoder
    assert "\x1b" not in as_json.out and "\u202e" not in as_json.out
    errors = {error["tag"]: error["error"] for error in as_json.json["errors"]}
    assert errors[evil_tag].startswith("invalid tag name")


# -- completeness -----------------------------------------------------------------------------


@pytest.mark.parametrize("tags", [["stable", "v0.12", "v0.12.31"], None])
def test_tag_missing_from_the_list_makes_the_answer_incomplete(
    plain: Seeded, run: Run, tags: list[str] | None
) -> None:
    with Front(plain.host, override=_tag_list(tags)) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_INCOMPLETE, result.err
    assert result.json["complete"] is False
    assert {"tag": "latest", "error": MISSING_FROM_LIST} in result.json["errors"]
    assert "latest" in result.json["tags"]


def test_403_on_one_tag_is_that_tags_error(plain: Seeded, run: Run) -> None:
    def deny_edge(request: Request) -> Reply | None:
        if "/manifests/edge" in request.path:
            return _json(403, {"errors": [{"code": "DENIED", "message": "policy"}]})
        return None

    with Front(plain.host, override=deny_edge) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_INCOMPLETE, result.err
    assert result.json["tags"] == ALIASES
    [error] = result.json["errors"]
    assert error["tag"] == "edge" and "denied" in error["error"]
    assert result.json["scanned"] == result.json["total"] - 1


@pytest.mark.parametrize("where", ["/tags/list", "/manifests/latest"])
def test_403_on_the_list_or_the_target_stays_fatal(plain: Seeded, run: Run, where: str) -> None:
    def deny(request: Request) -> Reply | None:
        if where in request.path:
            return _json(403, {"errors": [{"code": "DENIED", "message": "policy"}]})
        return None

    with Front(plain.host, override=deny) as front:
        result = run(f"{front.host}/fluent/fluentd:latest")
    assert result.code == EXIT_ERROR
    assert "denied" in result.err
