"""The package's folders are its layers: a module imports only its own room and rooms below.

Reading the imports (top-level and those inside functions) keeps the rule holding as modules
are added; the README's layout section is the same map.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "whichtag"

# Rooms from the bottom up; rooms of one rank may not import each other.
RANKS: dict[str, int] = {
    "errors": 0,
    "names": 1,
    "net": 2,
    "auth": 3,
    "registry": 4,
    "answer": 5,
    "local": 6,
    "files": 2,  # the guarded file reader and the file formats: below auth, which reads files
    "cli": 7,
    # the long-running exporter: above cli, whose flags, settings and file reading it reuses;
    # cli.commands reaches it by name (the one command list), never by an import
    "serve": 8,
}
ENTRY_POINTS = {"__init__", "__main__"}


def _room(module: str) -> str:
    """``whichtag.net.transport`` → ``net``; ``whichtag.errors`` → ``errors``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _imports(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "whichtag":
                found += [(node.lineno, f"whichtag.{alias.name}") for alias in node.names]
            elif node.module.startswith("whichtag."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.append((node.lineno, "relative"))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("whichtag.")]
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.stem == "errors")


def test_every_module_lives_in_a_known_room() -> None:
    loose = [p.name for p in PACKAGE.glob("*.py") if p.stem not in ENTRY_POINTS | {"errors"}]
    assert loose == [], "a module outside the rooms; give it a folder in RANKS"
    rooms = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert rooms <= set(RANKS), rooms - set(RANKS)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path: Path) -> None:
    own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    upward = []
    for line, module in _imports(path):
        assert module != "relative", f"{path.name}:{line}: use absolute whichtag.* imports"
        target = _room(module)
        if target != own and RANKS[target] >= RANKS[own]:
            upward.append(f"line {line}: {own} imports {module}")
    assert upward == []


def test_the_rule_sees_an_upward_import(tmp_path: Path) -> None:
    planted = tmp_path / "bad.py"
    planted.write_text("def f() -> None:\n    from whichtag.cli.command import run\n")
    assert _imports(planted) == [(2, "whichtag.cli.command")]
    assert RANKS[_room("whichtag.cli.command")] > RANKS["names"]
