"""The policy file, ``.whichtag.yaml``: references never to ask, pin or count (``ignore:``),
and per-repository rules (``images:``, the first rule matching wins): how far ``outdated``
looks (``track``), whether pre-releases are offered (``prerelease``), the repository's own
version grammar (``versioning``) and whether ``pin`` touches it (``pin``).

Found as ruff and pre-commit find theirs: the first ``.whichtag.yaml`` in the working
directory or its parents up to the repository root (the folder holding ``.git``, a folder or
a file); outside a repository, in the working directory only. Read through the guarded
reader and validated strictly: an unknown key, a wrong type or a bad pattern is a
:class:`PolicyError` (exit 2) naming the file, line and key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from whichtag.errors import UsageError
from whichtag.files.guarded import UnsafeFile, read_regular_file
from whichtag.names.patterns import Pattern, PatternError, compile_pattern, first_match
from whichtag.names.reference import Reference
from whichtag.names.versioning import Versioning, VersioningError

POLICY_NAME = ".whichtag.yaml"
MAX_POLICY_BYTES = 1024 * 1024
TRACKS = ("patch", "minor", "major")
TOP_KEYS = ("ignore", "images")
RULE_KEYS = ("match", "track", "prerelease", "versioning", "pin")
_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
HINT = "see docs/policy.md for the keys a policy file may hold"


class PolicyError(UsageError):
    """A policy file that cannot be read as one: exit 2, naming the file, line and key."""


@dataclass(frozen=True)
class ImageRule:
    """One ``images:`` entry."""

    match: Pattern
    track: str = "major"
    prerelease: bool | None = None  # None: only to a pre-release in use
    versioning: Versioning | None = None
    pin: bool = True
    line: int = 0  # 1-based, in the policy file

    def to_json(self) -> dict[str, object]:
        """What the rule says, as ``outdated --json`` reports it beside an answer."""
        return {
            "match": self.match.text,
            "track": self.track,
            "prerelease": self.prerelease,
            "versioning": self.versioning.expression if self.versioning else None,
            "pin": self.pin,
        }


@dataclass(frozen=True)
class Policy:
    """A policy file read (or none: the empty policy, which changes nothing)."""

    path: str | None = None
    ignore: tuple[Pattern, ...] = ()
    images: tuple[ImageRule, ...] = field(default=())

    def ignores(self, reference: Reference, written: str | None = None) -> bool:
        """Whether an ``ignore:`` pattern names the reference."""
        return first_match(list(self.ignore), reference, written) >= 0

    def rule_for(self, reference: Reference, written: str | None = None) -> ImageRule | None:
        """The first ``images:`` rule matching the reference, or None."""
        index = first_match([rule.match for rule in self.images], reference, written)
        return self.images[index] if index >= 0 else None

    @property
    def name(self) -> str:
        """How messages name it."""
        return os.path.basename(self.path) if self.path else POLICY_NAME


def find_policy(start: str | None = None) -> str | None:
    """The policy file that applies in ``start`` (the working directory): the first
    ``.whichtag.yaml`` there or in its parents up to the repository root; None when none."""
    here = Path(start or os.getcwd()).resolve()
    folders = [here, *here.parents]
    root = next((folder for folder in folders if (folder / ".git").exists()), None)
    if root is None:
        folders = [here]  # outside a repository: a parent's file is nobody's policy
    for folder in folders:
        candidate = folder / POLICY_NAME
        if candidate.exists() or candidate.is_symlink():
            return str(candidate)
        if folder == root:
            break
    return None


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """The policy file at ``path``, read and validated (:class:`PolicyError` when it is not
    one: the message names the file, line and key)."""
    name = os.fspath(path)
    try:
        raw = read_regular_file(name, MAX_POLICY_BYTES + 1)
    except OSError as error:
        raise PolicyError(f"cannot read {name}: {error.strerror or error}", hint=HINT) from None
    except UnsafeFile as why:
        raise PolicyError(f"{name} {why}; not read", hint=HINT) from None
    if len(raw) > MAX_POLICY_BYTES:
        raise PolicyError(f"{name} is larger than {MAX_POLICY_BYTES} bytes", hint=HINT)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyError(f"{name} is not UTF-8 text", hint=HINT) from None
    return parse_policy(text, name)


def parse_policy(text: str, path: str = POLICY_NAME) -> Policy:
    """A policy file's text read and validated (``path`` names it in errors)."""
    try:
        document = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise PolicyError(f"{path}{line}: {problem}", hint=HINT) from None
    if document is None:
        return Policy(path)
    reader = _Reader(path)
    top = reader.mapping(document, "the file", TOP_KEYS)
    ignore: list[Pattern] = []
    rules: list[ImageRule] = []
    if "ignore" in top:
        _, node = top["ignore"]
        for item in reader.sequence(node, "ignore"):
            ignore.append(reader.pattern(item, "ignore"))
    if "images" in top:
        _, node = top["images"]
        for item in reader.sequence(node, "images"):
            rules.append(reader.rule(item))
    return Policy(path, tuple(ignore), tuple(rules))


class _Reader:
    """Validation of one file's nodes, each error naming the file, line and key."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, node: yaml.Node, key: str, why: str) -> PolicyError:
        return PolicyError(f"{self.path}:{node.start_mark.line + 1}: {key}: {why}", hint=HINT)

    def mapping(
        self, node: yaml.Node, key: str, allowed: tuple[str, ...]
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, key, f"expected a mapping with keys {', '.join(allowed)}")
        seen: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for name, value in node.value:
            if not isinstance(name, yaml.ScalarNode) or name.tag != _STR:
                raise self.fail(name, key, "keys are words")
            if name.value not in allowed:
                raise self.fail(name, name.value, f"unknown key (keys here: {', '.join(allowed)})")
            if name.value in seen:
                raise self.fail(name, name.value, "given twice")
            seen[name.value] = (name, value)
        return seen

    def sequence(self, node: yaml.Node, key: str) -> list[yaml.Node]:
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, key, "expected a list")
        return list(node.value)

    def string(self, node: yaml.Node, key: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _STR:
            raise self.fail(node, key, "expected a string")
        return str(node.value)

    def boolean(self, node: yaml.Node, key: str) -> bool:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _BOOL:
            raise self.fail(node, key, "expected true or false")
        return bool(yaml.SafeLoader.construct_yaml_bool(yaml.SafeLoader(""), node))

    def pattern(self, node: yaml.Node, key: str) -> Pattern:
        text = self.string(node, key)
        try:
            return compile_pattern(text)
        except PatternError as why:
            raise self.fail(node, key, f"bad pattern {text[:80]!r}: {why}") from None

    def rule(self, node: yaml.Node) -> ImageRule:
        keys = self.mapping(node, "images", RULE_KEYS)
        if "match" not in keys:
            raise self.fail(node, "images", "each rule needs a match: pattern")
        values: dict[str, object] = {"match": self.pattern(keys["match"][1], "match")}
        if "track" in keys:
            track = self.string(keys["track"][1], "track")
            if track not in TRACKS:
                raise self.fail(
                    keys["track"][1], "track", f"{track[:40]!r} is not one of {', '.join(TRACKS)}"
                )
            values["track"] = track
        if "prerelease" in keys:
            values["prerelease"] = self.boolean(keys["prerelease"][1], "prerelease")
        if "pin" in keys:
            values["pin"] = self.boolean(keys["pin"][1], "pin")
        if "versioning" in keys:
            value = keys["versioning"][1]
            expression = self.string(value, "versioning")
            try:
                values["versioning"] = Versioning(expression)
            except VersioningError as why:
                raise self.fail(value, "versioning", str(why)) from None
        return ImageRule(line=node.start_mark.line + 1, **values)  # type: ignore[arg-type]
