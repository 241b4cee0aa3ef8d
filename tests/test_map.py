"""``whichtag map``: a repository's tag aliases, newest version first, filtered before any
tag is asked; incomplete maps say so (exit 3)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from testkit.front import Front, Reply, Request
from testkit.seed import NGINX_GROUPS

from conftest import CliRun, Seeded
from whichtag.errors import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from whichtag.names.tagnames import natural_sorted

Run = Callable[..., CliRun]
VERSION_ORDER = ["1.27.3", "1.27.3-alpine", "1.27.2", "1.26.2", "1.26.2-alpine", "1.9.15", None]


def _check_schema(document: dict[str, object]) -> None:
    """The documented ``map --json`` shape (README), key by key."""
    assert set(document) >= {"registry", "repository", "groups", "total", "selected", "complete"}
    assert isinstance(document["groups"], list)
    for group in document["groups"]:
        assert set(group) == {"digest", "version", "tags"}
        assert isinstance(group["digest"], str) and group["digest"].startswith("sha256:")
        assert group["version"] is None or group["version"] in group["tags"]
        assert group["tags"] == natural_sorted(group["tags"])


def test_map_in_version_order(plain: Seeded, nginx: dict[str, str], run: Run) -> None:
    result = run("map", f"{plain.host}/library/nginx", "--json")
    assert result.code == EXIT_OK, result.err
    _check_schema(result.json)
    groups = result.json["groups"]
    assert [group["version"] for group in groups] == VERSION_ORDER
    by_version = {group["version"]: group for group in groups}
    assert by_version["1.27.3"]["tags"] == ["1", "1.27", "1.27.3", "latest", "mainline"]
    assert by_version["1.27.3"]["digest"] == nginx["latest"]
    assert by_version[None]["tags"] == ["nightly"]
    assert result.json["complete"] is True and result.json["total"] == len(nginx)


def test_map_tsv_is_a_header_and_one_line_per_group(
    plain: Seeded, nginx: dict[str, str], run: Run
) -> None:
    result = run("map", f"{plain.host}/library/nginx", "--format", "tsv")
    assert result.code == EXIT_OK, result.err
    header, *rows = [line.split("\t") for line in result.out.splitlines()]
    assert header == ["VERSION", "DIGEST", "TAGS"]
    assert [row[0] for row in rows] == [name or "-" for name in VERSION_ORDER]
    assert rows[0] == ["1.27.3", nginx["latest"], "1 1.27 1.27.3 latest mainline"]


def test_map_through_a_pipe_is_the_table_with_its_header(
    plain: Seeded, nginx: dict[str, str], run: Run
) -> None:
    """As ``docker ps`` and ``kubectl get`` print it: the same table off a terminal, short
    digests (whole with --wide), no escape sequences, no summary line."""
    result = run("map", f"{plain.host}/library/nginx")
    assert result.code == EXIT_OK, result.err
    header, *lines = result.out.splitlines()
    assert header.split() == ["VERSION", "DIGEST", "TAGS"] and "\033" not in result.out
    column = header.index("DIGEST")
    short = nginx["latest"][: len("sha256:") + 12]
    assert lines[0][column:].split("  ")[0] == short
    assert [line.split()[0] for line in lines] == [name or "-" for name in VERSION_ORDER]
    assert lines[0].split(None, 2)[2] == "1, 1.27, 1.27.3, latest, mainline"
    wide = run("map", f"{plain.host}/library/nginx", "--wide").out.splitlines()
    assert nginx["latest"] in wide[1]


def test_filters_apply_before_scanning(plain: Seeded, nginx: dict[str, str], run: Run) -> None:
    with Front(plain.host) as front:
        result = run("map", f"{front.host}/library/nginx", "--match", r"^1\.2", "--exclude", "alp")
        asked = {urlsplit(s.path).path.rsplit("/", 1)[-1] for s in front.seen if s.method == "HEAD"}
    assert result.code == EXIT_OK, result.err
    want = {tag for tag in nginx if tag.startswith("1.2") and "alp" not in tag}
    assert asked == want  # nothing else was requested
    listed = [line.split(None, 2)[2].split(", ") for line in result.out.splitlines()[1:]]
    assert sorted(tag for tags in listed for tag in tags) == sorted(want)


def test_incomplete_map_exits_3_and_names_the_tags(
    plain: Seeded, nginx: dict[str, str], run: Run
) -> None:
    def refuse(request: Request) -> Reply | None:
        if request.path.endswith("/manifests/stable"):
            return Reply(403, {"Content-Type": "application/json"}, b'{"errors": []}')
        return None

    with Front(plain.host, override=refuse) as front:
        result = run("map", f"{front.host}/library/nginx", "--json")
    assert result.code == EXIT_INCOMPLETE
    assert result.json["complete"] is False
    assert [error["tag"] for error in result.json["errors"]] == ["stable"]
    assert "could not be asked" in result.err and "stable" in result.err


def test_map_usage_errors(plain: Seeded, run: Run) -> None:
    bad = run("map", f"{plain.host}/library/nginx", "--match", "(")
    assert bad.code == EXIT_USAGE and "--match is not a regular expression" in bad.err
    tagged = run("map", f"{plain.host}/library/nginx:latest")
    assert tagged.code == EXIT_USAGE and "takes a repository, not a tag" in tagged.err
    assert "Traceback" not in bad.err + tagged.err


def test_every_sample_group_is_in_the_map(plain: Seeded, nginx: dict[str, str], run: Run) -> None:
    result = run("map", f"{plain.host}/library/nginx", "--json")
    groups = sorted(sorted(group["tags"]) for group in result.json["groups"])
    assert groups == sorted(sorted(tags) for tags in NGINX_GROUPS.values())
