"""The README and the guides tell the truth about the repository: every link resolves, every
file they cite exists, the figures the README quotes are the benchmark file's, and the
transcript it shows first is what ``scripts/demo.sh`` prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
CITED_PATH = re.compile(r"`((?:src|tests|testkit|bench|scripts|docs|\.ci)/[^`\s:]*)")


def _anchors(document: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes."""
    headings = re.findall(r"^#+ (.+)$", document.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_link_resolves(document: Path) -> None:
    broken = []
    for link in LINK.findall(document.read_text()):
        if link.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = link.partition("#")
        target = (document.parent / path).resolve() if path else document
        if not target.exists() or (
            anchor and target.suffix == ".md" and anchor not in _anchors(target)
        ):
            broken.append(link)
    assert broken == []


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_cited_file_exists(document: Path) -> None:
    """A guide that names ``tests/test_x.py`` or ``src/whichtag/...`` names a real file."""
    missing = []
    for cited in CITED_PATH.findall(document.read_text()):
        path = cited.rstrip(".,;")
        if any(mark in path for mark in "*<{…"):
            continue
        if not (ROOT / path).exists():
            missing.append(path)
    assert missing == []


def test_the_readme_fits_about_three_screens() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= 160


def test_readme_figures_are_the_benchmark_files() -> None:
    """The README's 1,000-tag, 20 ms figures are the current row of docs/benchmarks.md."""
    table = (ROOT / "docs" / "benchmarks.md").read_text()
    row = next(line for line in table.splitlines() if line.startswith("| 20 ms | 1,000 |"))
    whichtag, shell, skopeo = [cell.strip() for cell in row.split("|")[3:6]]
    readme = " ".join((ROOT / "README.md").read_text().split())
    figures = f"whichtag {whichtag} s, the usual curl script {shell} s and a skopeo loop {skopeo}"
    assert figures in readme


def _first_console_block(text: str) -> list[str]:
    block = text.split("```console\n", 1)[1].split("```", 1)[0]
    return block.splitlines()


def test_the_readme_transcript_is_what_the_demo_prints() -> None:
    """The first screen of the README shows real output: the demo's first command and its
    answer, with the port the demo's registry got written as 5000."""
    environment = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    demo = subprocess.run(
        [sys.executable, "-m", "testkit.demo"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert demo.returncode == 0, demo.stderr
    printed = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:5000", demo.stdout).splitlines()
    shown = _first_console_block((ROOT / "README.md").read_text())
    start = printed.index(shown[0])
    assert printed[start : start + len(shown)] == shown


def test_the_readme_policy_example_is_a_valid_policy_file() -> None:
    """The ``.whichtag.yaml`` the README shows reads as it says: two ignores, one rule."""
    from whichtag.files.policy import parse_policy

    text = (ROOT / "README.md").read_text().split("```yaml\n", 1)[1].split("```", 1)[0]
    policy = parse_policy(text, ".whichtag.yaml")
    assert [pattern.text for pattern in policy.ignore] == [
        "frontend",
        "registry.corp.example/internal/*",
    ]
    assert [(rule.match.text, rule.track) for rule in policy.images] == [
        ("docker.io/library/nginx", "minor")
    ]
