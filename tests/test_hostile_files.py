"""Files to pin written to hurt, and the forms people write that a reader can get wrong:
YAML merge keys that multiply or loop, Dockerfile lines of a megabyte, quoted heredoc
delimiters, a compose service's own ``image:`` beside ``<<: *base``.

Time-sensitive checks run in a child process with a timeout, so a regression fails the test
instead of hanging the suite."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import CliRun, Seeded
from whichtag.cli.pin import EXIT_UNPINNED
from whichtag.errors import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from whichtag.files.pinning import (
    MAX_MERGE_DEPTH,
    MAX_MERGED_PAIRS,
    _continued,
    _copy_from,
    _from_line,
)

Run = Callable[..., CliRun]


def _child(script: str, *argv: str, timeout: float = 60) -> list[float]:
    """Run ``script`` in a fresh interpreter; the numbers it prints on its last line."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(script), *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {timeout} s")
    assert done.returncode == 0, done.stderr
    return [float(number) for number in done.stdout.split()]


# -- YAML merge keys ---------------------------------------------------------------------------


#: Each level merges the one below ten times: without each anchor expanded once, the
#: service's keys cost 10**depth pairs (7 levels, 730 bytes: 19 s and 0.9 GB).
MERGES = """
import sys, time
from whichtag.files.pinning import _parse, find_references

def bomb(depth):
    lines = ["x0: &a0 {image: nginx:1, restart: always}"]
    for level in range(1, depth + 1):
        aliases = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"x{level}: &a{level} {{<<: [{aliases}]}}")
    lines.append(f"services:\\n  web:\\n    <<: *a{depth}\\n")
    return "\\n".join(lines)

for depth in (5, 7):
    text = bomb(depth)
    start = time.perf_counter()
    scan = find_references("compose.yaml", text)
    assert [found.text for found in scan.found] == ["nginx:1"], scan
    print(_parse(text).visited, time.perf_counter() - start, end=" ")
"""


def test_nested_merges_cost_what_the_file_holds() -> None:
    """Depth 5 to 7 multiplied the pairs looked at by 100; each anchor is now expanded
    once, so two more levels cost a few pairs more."""
    pairs_5, seconds_5, pairs_7, seconds_7 = _child(MERGES)
    assert pairs_7 < 2 * pairs_5, (pairs_5, pairs_7)
    assert seconds_7 < 100 * seconds_5 + 0.5, (seconds_5, seconds_7)


def test_a_mapping_that_merges_itself_is_an_error_naming_the_file(tmp_path: Path, run: Run) -> None:
    """It was an internal error (RecursionError); named, it is a usage error (2); met in a
    folder, a warning and the run cannot tell (3)."""
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  web: &web\n    image: nginx:1\n    <<: *web\n")
    result = run("pin", "--check", str(compose))
    assert result.code == EXIT_USAGE, result.err
    assert f"{compose}: the mapping at line 2 merges itself" in result.err
    assert "Traceback" not in result.err and "internal" not in result.err
    walked = run("pin", "--check", str(tmp_path))
    assert walked.code == EXIT_INCOMPLETE, walked.err
    assert "warning:" in walked.err and "merges itself" in walked.err


def test_merges_past_the_bounds_are_an_error_naming_the_file(tmp_path: Path, run: Run) -> None:
    """A mapping merging a wide anchor again and again, and merges nested past
    MAX_MERGE_DEPTH (which overflowed Python's stack): one line each, never a traceback."""
    keys = ", ".join(f"k{number}: {number}" for number in range(1000))
    aliases = ", ".join(["*wide"] * (MAX_MERGED_PAIRS // 1000 + 1))
    wide = tmp_path / "wide.yaml"
    wide.write_text(f"x: &wide {{{keys}}}\nservices:\n  web: {{<<: [{aliases}]}}\n")
    result = run("pin", "--check", str(wide))
    assert result.code == EXIT_USAGE, result.err
    assert f"{wide}: merge keys (<<:) expand to more than {MAX_MERGED_PAIRS}" in result.err
    levels = ["a0: &a0 {image: nginx:1}"]
    levels += [f"a{n}: &a{n} {{<<: *a{n - 1}, k{n}: {n}}}" for n in range(1, 2000)]
    deep = tmp_path / "deep.yaml"
    deep.write_text("\n".join(levels) + "\nservices:\n  web:\n    <<: *a1999\n")
    result = run("pin", "--check", str(deep))
    assert result.code == EXIT_USAGE, result.err
    assert f"{deep}: merge keys (<<:) nested more than {MAX_MERGE_DEPTH} deep" in result.err
    assert "Traceback" not in result.err


def test_a_service_image_beside_a_merge_wins(plain: Seeded, tmp_path: Path, run: Run) -> None:
    """(issue 33, scenario 10) ``<<: *base`` and ``image:`` in one service: the service's
    own image is the one pinned, wherever the merge is written; the anchor's image is
    pinned only where a service uses it without overriding it; of two merged anchors, the
    first gives the key (YAML's rule)."""
    edge = f"{plain.host}/fluent/fluentd:edge"
    latest = f"{plain.host}/fluent/fluentd:latest"
    oci = f"{plain.host}/oci/only:v1"
    base = f"x-base: &base\n  image: {edge}\n  restart: always\n"
    compose = tmp_path / "compose.yaml"
    compose.write_text(
        f"{base}services:\n"
        f"  web:\n    <<: *base\n    image: {latest}\n"
        f"  worker:\n    image: {oci}\n    <<: *base\n"
    )
    result = run("pin", str(compose))
    assert result.code == EXIT_OK, result.err
    lines = compose.read_text().splitlines()
    assert lines[1] == f"  image: {edge}"  # every service overrides it: not pinned
    assert lines[6] == f"    image: {latest}@{plain.fluentd['latest']}"
    assert lines[8].startswith(f"    image: {oci}@sha256:")
    used = tmp_path / "used.yaml"
    used.write_text(
        f"{base}x-other: &other\n  image: {oci}\nservices:\n"
        f"  web:\n    <<: *base\n    image: {latest}\n"
        "  cron:\n    <<: [*base, *other]\n"
    )
    result = run("pin", str(used))
    assert result.code == EXIT_OK, result.err
    lines = used.read_text().splitlines()
    assert lines[1] == f"  image: {edge}@{plain.fluentd['edge']}"  # cron uses it as it is
    assert lines[4] == f"  image: {oci}"  # cron's first merge source gives its image


# -- Dockerfile lines of a megabyte -----------------------------------------------------------

#: one hostile line (or two) of about N bytes for each pattern reading Dockerfile text
HOSTILE = {
    "from-flags": '"FROM " + "--a=b " * (n // 6) + "x y z"',
    "flag-without-value": '"FROM --" + "a" * n + " x y"',
    "from-spaces": '"FROM" + " " * n + "x y"',
    "continued-flags": '"FROM \\\\\\n" + "--a=b " * (n // 6) + "\\\\"',
    "continued-word": '"FROM \\\\\\n" + "a" * n + "\\\\"',
    "heredoc-quotes": '"RUN " + "<<\'A" * (n // 4)',
    "heredoc-bodies": '"RUN " + "<<A " * (n // 8) + "\\n" + "A\\n" * (n // 4)',
    "run-spaces": '" " * n + "RUNX"',
    "mount-repeated": '"RUN " + "--mount=" * (n // 8)',
    "mount-from": '"RUN --mount=" + "from" * (n // 4)',
    "mount-words": '"RUN " + "--mount=a,b " * (n // 12)',
    "platform": '"FROM --platform=" + "--platform=" * (n // 11) + " x"',
    "copy-words": '"COPY " + "a " * (n // 2)',
    "copy-from": '"COPY " + "--from" * (n // 6)',
    "arg-words": '"ARG " + "a=b " * (n // 4)',
    "arg-quotes": '"ARG A=\\"" + "x" * n',
    "args-then-uses": '"".join(f"ARG a{i}=x\\n" for i in range(n // 12))'
    ' + "FROM $a1 AS s\\n" * (n // 28)',
    "from-variables": '"ARG A=x\\nFROM " + "${A}" * (n // 4)',
    "from-unclosed": '"FROM " + "${A" * (n // 3)',
    "from-dollars": '"FROM x" + "$" * n',
    "from-default": '"FROM ${A:-" + "x" * n + "}"',
    "version-arg-uses": '"ARG V=1\\n" + "FROM x:$V\\n" * (n // 10)',
}

LINEAR = """
import sys, time
from whichtag.files.pinning import find_references
make = eval("lambda n: " + sys.argv[1])
for size in (256 * 1024, 1024 * 1024):
    text = make(size) + "\\n"
    times = []
    for _ in range(5):
        start = time.perf_counter()
        find_references("Dockerfile", text)
        times.append(time.perf_counter() - start)
    print(min(times), end=" ")
"""


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_dockerfile_line_costs_linear_time(name: str) -> None:
    """Four times the line, at most about four times the time (8x allowed for noise): the
    ``--mount=`` pattern took 27 s on 128 KB of repeated ``--mount=``, 114 s on 256 KB."""
    ratios = []
    for _ in range(2):  # a busy machine can slow one run: the better of two
        small, large = _child(LINEAR, HOSTILE[name], timeout=30)
        ratios.append(large / max(small, 1e-4))
        if ratios[-1] <= 8:
            return
    pytest.fail(f"256 KB to 1 MB multiplied the time by {min(ratios):.1f}")


# the patterns the word readers replaced: the readers must agree with them on short lines
_OLD_FROM = re.compile(
    r"\s*FROM\s+(?:--[A-Za-z-]+=\S+\s+)*(?P<image>\S+)(?:\s+AS\s+(?P<stage>\S+))?\s*",
    re.IGNORECASE,
)
_OLD_CONTINUED = re.compile(
    r"\s*(?:--[A-Za-z-]+=\S+\s+)*(?P<image>[^\s\\]+)(?:\s+AS\s+(?P<stage>\S+))?", re.IGNORECASE
)
_OLD_COPY = re.compile(r"\s*COPY\s+(?:\S+\s+)*?--from=(?P<image>\S+)", re.IGNORECASE)
WORDS = ["FROM", "from", "COPY", "AS", "as", "asx", "--platform=linux", "--a=b", "--a-b=c=d"]
WORDS += ["--from=img", "--from=", "--FROM=x", "img", "a\\b", "\\", "--x", "=", "x"]


@given(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(["", " ", "  ", "\t"]))))
def test_the_word_readers_read_as_the_patterns_they_replaced(
    parts: list[tuple[str, str]],
) -> None:
    line = "".join(word + space for word, space in parts)
    old = _OLD_FROM.fullmatch(line)
    new = _from_line(line)
    assert (old and (old.start("image"), old["image"], old["stage"])) == (
        new and (new.start, new.text, new.stage)
    )
    old = _OLD_CONTINUED.match(line)
    new = _continued(line)
    assert (old and (old.start("image"), old["image"], old["stage"])) == (
        new and (new.start, new.text, new.stage)
    )
    old = _OLD_COPY.match(line)
    new = _copy_from(line)
    assert (old and (old.start("image"), old["image"])) == (new and (new.start, new.text))


# -- heredocs ----------------------------------------------------------------------------------


def test_quoted_and_dashed_heredoc_delimiters(plain: Seeded, tmp_path: Path, run: Run) -> None:
    """(issue 33, scenario 8) ``<<'EOF'``, ``<<"EOF"``, ``<<-EOF`` (its terminator indented
    with tabs) and ``<<-"EOF"`` open heredocs: FROM and COPY --from lines in their bodies
    are data, never pinned; the instructions after them are."""
    image = f"{plain.host}/fluent/fluentd:latest"
    path = tmp_path / "Dockerfile"
    path.write_text(
        f"FROM {image} AS base\n"
        f"RUN <<'EOF' cat > inner.Dockerfile\nFROM {image}\nCOPY --from={image} /a /b\nEOF\n"
        f'RUN <<"EOT" sh\nFROM {image}\nEOT\n'
        f"RUN <<-EOF\n\tFROM {image}\n\tEOF\n"
        f'RUN <<-"END" sh\n\tCOPY --from={image} /a /b\n\tEND\n'
        f"COPY --from={image} /c /d\n"
    )
    result = run("pin", "--check", str(path))
    assert result.code == EXIT_UNPINNED, result.err
    lines = result.out.splitlines()
    changed = [line[1:] for line in lines if line.startswith("-") and not line.startswith("---")]
    assert changed == [f"FROM {image} AS base", f"COPY --from={image} /c /d"]


# -- Helm chart templates, searched for the tags they default to the appVersion ---------------

HOSTILE_TEMPLATES = {
    "values-prefixes": '".Values." * (n // 8) + " | default .Chart.AppVersion"',
    "markers": '".Values.a.tag | default .Chart.AppVersion" * (n // 42)',
    "one-long-token": '"x" * n + " | default .Chart.AppVersion"',
    "spaces": '" " * n + ".Values.a.tag | default .Chart.AppVersion"',
}

TEMPLATES_LINEAR = """
import os, sys, tempfile, time
from whichtag.files.helm import app_version_paths
make = eval("lambda n: " + sys.argv[1])
for size in (256 * 1024, 1024 * 1024):
    chart = tempfile.mkdtemp()
    os.mkdir(os.path.join(chart, "templates"))
    with open(os.path.join(chart, "templates", "x.yaml"), "w") as file:
        file.write(make(size))
    times = []
    for _ in range(3):
        start = time.perf_counter()
        app_version_paths(chart)
        times.append(time.perf_counter() - start)
    print(min(times), end=" ")
"""


@pytest.mark.parametrize("name", sorted(HOSTILE_TEMPLATES))
def test_hostile_chart_templates_cost_linear_time(name: str) -> None:
    """A chart's templates are searched for ``.Values.PATH.tag | default .Chart.AppVersion``
    with ``str.find``, never a pattern: four times the text, at most about four times the
    time (8x allowed for noise)."""
    ratios = []
    for _ in range(2):
        small, large = _child(TEMPLATES_LINEAR, HOSTILE_TEMPLATES[name], timeout=30)
        ratios.append(large / max(small, 1e-4))
        if ratios[-1] <= 8:
            return
    pytest.fail(f"256 KB to 1 MB multiplied the time by {min(ratios):.1f}")
