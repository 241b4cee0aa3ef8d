"""What a person at a terminal gets: colour only on a TTY and never with NO_COLOR, the map as
an aligned table, --help with examples for every command, and shell completion that works."""

from __future__ import annotations

import asyncio
import os
import pty
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import CliRun, Seeded
from whichtag import find_same_tags_sync
from whichtag.cli.commands import COMMAND_NAMES
from whichtag.errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE, UsageError

Run = Callable[..., CliRun]
COMMANDS = ["", *COMMAND_NAMES]


def _on_a_terminal(argv: list[str], env: dict[str, str]) -> str:
    """Run the CLI with stdout on a pseudo-terminal; what it wrote there."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "whichtag", *argv],
        stdout=follower,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode()


def test_map_table_and_colour_on_a_terminal(plain: Seeded, nginx: dict[str, str]) -> None:
    env = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    shown = _on_a_terminal(["map", f"{plain.host}/library/nginx"], env)
    lines = shown.replace("\r\n", "\n").splitlines()
    assert "\033[1;32m1.27.3" in shown  # the version name, coloured
    plain_lines = [
        line.replace("\033[1;32m", "").replace("\033[2m", "").replace("\033[0m", "")
        for line in lines
    ]
    header = plain_lines[0]
    assert header.split() == ["VERSION", "DIGEST", "TAGS"]
    column = header.index("DIGEST")
    assert all(line[column : column + 7] == "sha256:" for line in plain_lines[1:-1])  # aligned
    assert plain_lines[-1].startswith("7 digests, ")


def test_no_color_means_no_colour(plain: Seeded, nginx: dict[str, str]) -> None:
    env = dict(os.environ, NO_COLOR="1")
    shown = _on_a_terminal([f"{plain.host}/library/nginx:latest"], env)
    assert "\033[" not in shown
    assert f"{plain.host}/library/nginx:latest is 1.27.3" in shown


def test_no_colour_when_not_a_terminal(plain: Seeded, nginx: dict[str, str], run: Run) -> None:
    assert "\033[" not in run(f"{plain.host}/library/nginx:latest").out
    assert "\033[" not in run("map", f"{plain.host}/library/nginx").out


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_examples(command: str, run: Run) -> None:
    result = run(*([command] if command else []), "--help")
    assert result.code == 0
    assert "examples:" in result.out


def _bash_complete(words: list[str]) -> list[str]:
    script = subprocess.run(
        [sys.executable, "-m", "whichtag", "completion", "bash"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = " ".join(words)
    program = (
        f"{script}\nCOMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; _whichtag; "
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    completed = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return completed.stdout.split()


def test_bash_completion_offers_commands_and_flags() -> None:
    assert _bash_complete(["whichtag", "ma"]) == ["map"]
    assert _bash_complete(["whichtag", "map", "--ma"]) == ["--match", "--max-tags"]
    assert _bash_complete(["whichtag", "pin", "--ch"]) == ["--check"]
    assert _bash_complete(["whichtag", "--pla"]) == ["--plain-http", "--platform"]
    assert _bash_complete(["whichtag", "completion", "z"]) == ["zsh"]


def test_flag_values_are_offered_not_file_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "generic-notes.txt").write_text("a file that must not be offered")
    monkeypatch.chdir(tmp_path)
    assert _bash_complete(["whichtag", "--lister", "ge"]) == ["generic"]
    assert _bash_complete(["whichtag", "--lister", "f"]) == ["fast"]
    assert "linux/arm64" in _bash_complete(["whichtag", "--platform", "linux/a"])
    fish = _script("fish", tmp_path)
    program = f"source {fish}; complete -C 'whichtag --lister ge'"
    out = subprocess.run(["fish", "-c", program], capture_output=True, text=True, check=True)
    assert [line.split("\t")[0] for line in out.stdout.splitlines()] == ["generic"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_name_every_flag(shell: str, run: Run) -> None:
    from whichtag.cli.completion import _flags

    script = run("completion", shell).out
    for options in _flags().values():
        for option in options:
            assert (option if shell == "zsh" else f"-l {option[2:]}") in script


def _script(shell: str, directory: Path) -> Path:
    path = directory / f"whichtag.{shell}"
    path.write_text(
        subprocess.run(
            [sys.executable, "-m", "whichtag", "completion", shell],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    return path


def test_fish_completion_offers_commands_and_flags(tmp_path: Path) -> None:
    script = _script("fish", tmp_path)

    def complete(line: str) -> list[str]:
        program = f"source {script}; complete -C '{line}'"
        out = subprocess.run(["fish", "-c", program], capture_output=True, text=True, check=True)
        return [entry.split("\t")[0] for entry in out.stdout.splitlines()]

    assert complete("whichtag map --ma") == ["--match", "--max-tags"]
    assert complete("whichtag --pla") == ["--plain-http", "--platform"]
    assert {"map", "pin", "completion"} <= set(complete("whichtag "))
    assert complete("whichtag completion ") == ["bash", "fish", "zsh"]


def test_zsh_completion_script_parses(tmp_path: Path) -> None:
    script = _script("zsh", tmp_path)
    subprocess.run(["zsh", "-n", str(script)], check=True)


# -- rough edges a first run showed ----------------------------------------------------------


def test_a_usage_mistake_is_one_line_and_a_hint(run: Run) -> None:
    result = run("--concurrency", "0", "nginx")
    assert result.code == EXIT_USAGE
    lines = result.err.strip().splitlines()
    assert len(lines) == 2 and "--concurrency" in lines[0] and lines[1].startswith("hint:")
    assert "usage:" not in result.err


def test_help_is_a_command_not_an_image(run: Run) -> None:
    for argv in (["help"], ["help", "pin"]):
        result = run(*argv)
        assert result.code == EXIT_OK, result.err
        assert "usage:" in result.out and "library/help" not in result.out + result.err


def test_help_lists_every_command_the_cli_dispatches(run: Run) -> None:
    """``whichtag --help`` and ``whichtag help`` name every command (one line each), and
    every name they list is one the CLI runs: the list cannot drift from the dispatch."""
    listed_by_help = _listed(run("help").out, "commands:")
    listed_by_lookup = _listed(run("--help").out, "commands (whichtag help COMMAND):")
    assert listed_by_help == listed_by_lookup == list(COMMAND_NAMES)
    for name in listed_by_help:
        shown = run("help", name)
        assert shown.code == EXIT_OK and f"whichtag {name}" in shown.out.splitlines()[0]
    assert all(name in run(name, "--help").out for name in COMMAND_NAMES)


def _listed(text: str, heading: str) -> list[str]:
    """The command names under ``heading``, up to the next blank line."""
    lines = text.splitlines()
    start = lines.index(heading) + 1
    block = lines[start : lines.index("", start)]
    return [line.split()[0] for line in block]


def test_help_exit_codes_and_unknown_topics(run: Run) -> None:
    table = run("help", "exit-codes")
    assert table.code == EXIT_OK
    for line in ("  4  could not pin", "  3  cannot tell", "2, then 4, then 1, then 3"):
        assert any(row.startswith(line) or line in row for row in table.out.splitlines()), line
    unknown = run("help", "nonsense")
    assert unknown.code == EXIT_USAGE and "hint:" in unknown.err and "exit-codes" in unknown.err


def test_the_lead_line_names_other_tags_not_the_one_asked(plain: Seeded, run: Run) -> None:
    result = run(f"{plain.host}/fluent/fluentd:latest")
    lead = result.out.splitlines()[0]
    assert lead.endswith("is v0.12.31 (also stable, v0.12)"), lead


def test_a_refused_connection_is_said_in_words(run: Run) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run(f"127.0.0.1:{port}/a/b:c", "--timeout", "20")
    assert result.code == EXIT_ERROR
    assert "connection refused" in result.err and "Connect call failed" not in result.err


def test_the_sync_wrapper_inside_a_running_loop_says_what_to_do() -> None:
    async def inside() -> None:
        find_same_tags_sync("nginx")

    with pytest.raises(UsageError, match="inside a running event loop"):
        asyncio.run(inside())
