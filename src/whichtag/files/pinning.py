"""Image references in Dockerfiles, compose files and Kubernetes manifests, and rewriting
them in place: only the reference's own characters change, so comments, quoting, indentation
and line endings stay byte for byte.

- Dockerfile (``Dockerfile``, ``*.Dockerfile``, ``Dockerfile.*``, ``Containerfile``): ``FROM
  [--platform=…] IMAGE [AS name]`` and ``COPY --from=IMAGE``; a name given to an earlier stage
  (``FROM build``, ``COPY --from=build``, ``--from=0``) is not an image, nor is ``scratch``;
  a reference built from ``$ARG`` is left alone with a warning (its value is not known here).
- Compose (a YAML file with ``services:``): ``image:`` directly under a service.
- Kubernetes (a YAML file with ``apiVersion:`` and ``kind:``, one or many documents):
  ``image:`` in ``containers``, ``initContainers`` and ``ephemeralContainers`` entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath

from whichtag.errors import InvalidReferenceError
from whichtag.names.reference import parse_reference

CONTAINER_LISTS = {"containers", "initContainers", "ephemeralContainers"}

_FROM_RE = re.compile(
    r"(?P<head>\s*FROM\s+(?:--[A-Za-z-]+=\S+\s+)*)(?P<image>\S+)(?:\s+AS\s+(?P<stage>\S+))?\s*",
    re.IGNORECASE,
)
_CONTINUED_RE = re.compile(
    r"\s*(?:--[A-Za-z-]+=\S+\s+)*(?P<image>[^\s\\]+)(?:\s+AS\s+(?P<stage>\S+))?", re.IGNORECASE
)
_HEREDOC_RE = re.compile(r"<<(?P<dash>-?)([\"']?)(?P<word>[A-Za-z_][A-Za-z0-9_]*)\2")
_PLATFORM_FLAG_RE = re.compile(r"--platform=(?P<value>\S+)", re.IGNORECASE)
_COPY_FROM_RE = re.compile(r"(?P<head>\s*COPY\s+(?:\S+\s+)*?--from=)(?P<image>\S+)", re.IGNORECASE)
_KEY_RE = re.compile(r"(?P<indent>\s*)(?P<dash>-\s+)?(?P<key>[A-Za-z0-9_.-]+)\s*:(?P<rest>.*)")
_IMAGE_VALUE_RE = re.compile(r"\s*(?P<quote>[\"']?)(?P<image>[^\"'\s#]+)(?P=quote)\s*(?:#.*)?")


@dataclass(frozen=True)
class Found:
    """One image reference in a file: where it is and how it is written."""

    line: int  # 0-based
    start: int  # offsets in the line, without its line ending
    end: int
    text: str
    platform: str | None = None  # FROM --platform=… (when written out, not from an ARG)


@dataclass
class Scan:
    """The references a file holds, and what it could not read."""

    kind: str  # dockerfile, compose, kubernetes, or unknown
    found: list[Found] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def is_dockerfile_name(name: str) -> bool:
    """Dockerfile names as people write them: ``Dockerfile``, ``Containerfile``, and the
    variants ``Dockerfile.dev``, ``Dockerfile-alpine``, ``Dockerfile_dev``, ``dev.Dockerfile``
    (and the same for Containerfile), in any case."""
    name = name.lower()
    for base in ("dockerfile", "containerfile"):
        if name == base or name.endswith("." + base):
            return True
        if name.startswith((base + ".", base + "-", base + "_")):
            return True
    return False


def file_kind(path: str, text: str) -> str:
    name = PurePath(path).name.lower()
    if is_dockerfile_name(name):
        return "dockerfile"
    if name.endswith((".yml", ".yaml")):
        if re.search(r"^kind\s*:", text, re.MULTILINE) and re.search(
            r"^apiVersion\s*:", text, re.MULTILINE
        ):
            return "kubernetes"
        if re.search(r"^services\s*:", text, re.MULTILINE):
            return "compose"
    return "unknown"


def find_references(path: str, text: str) -> Scan:
    """Every image reference in ``text`` (the file at ``path``)."""
    if text.startswith("\ufeff"):
        text = " " + text[1:]  # a UTF-8 BOM: read past it, offsets unchanged
    kind = file_kind(path, text)
    scan = Scan(kind)
    lines = text.splitlines()
    if kind == "dockerfile":
        _dockerfile(lines, scan, path)
    elif kind in ("compose", "kubernetes"):
        _yaml(lines, scan, path, kubernetes=kind == "kubernetes")
    else:
        scan.warnings.append(
            f"{path}: not a Dockerfile, compose file or Kubernetes manifest; left alone"
        )
    return scan


def _take(
    scan: Scan, path: str, number: int, start: int, image: str, platform: str | None = None
) -> None:
    if "$" in image:
        scan.warnings.append(
            f"{path}:{number + 1}: {image} is built from a variable (ARG or ${{...}}); left alone"
        )
        return
    try:
        parse_reference(image)
    except InvalidReferenceError as error:
        scan.warnings.append(f"{path}:{number + 1}: {error.message}; left alone")
        return
    scan.found.append(Found(number, start, start + len(image), image, platform))


def _dockerfile(lines: list[str], scan: Scan, path: str) -> None:
    stages: set[str] = set()
    heredocs: list[tuple[str, bool]] = []  # terminators still open: (word, tabs stripped)
    for number, line in enumerate(lines):
        if heredocs:  # a heredoc body (RUN <<EOF ... EOF) is data, never an instruction
            word, dash = heredocs[0]
            if (line.lstrip("\t") if dash else line) == word:
                heredocs.pop(0)
            continue
        if line.lstrip().startswith("#"):
            continue
        heredocs = [(m["word"], bool(m["dash"])) for m in _HEREDOC_RE.finditer(line)]
        found = _FROM_RE.fullmatch(line)
        if found is not None and found["image"] == "\\" and number + 1 < len(lines):
            # FROM continued on the next line: the image is that line's first word
            nxt = _CONTINUED_RE.match(lines[number + 1])
            if nxt is not None and nxt["image"] not in stages and nxt["image"] != "scratch":
                _take(scan, path, number + 1, nxt.start("image"), nxt["image"])
            if nxt is not None and nxt["stage"]:
                stages.add(nxt["stage"].lower())
            continue
        if found is not None:
            image = found["image"]
            if image.lower() not in stages and image.lower() != "scratch":
                platform = _PLATFORM_FLAG_RE.search(found["head"])
                written = platform["value"] if platform and "$" not in platform["value"] else None
                _take(scan, path, number, found.start("image"), image, written)
            if found["stage"]:
                stages.add(found["stage"].lower())
            continue
        copy = _COPY_FROM_RE.match(line)
        if copy is not None:
            image = copy["image"]
            if image.lower() not in stages and not image.isdigit():
                _take(scan, path, number, copy.start("image"), image)


def _yaml(lines: list[str], scan: Scan, path: str, *, kubernetes: bool) -> None:
    parents: list[tuple[int, str]] = []  # (column of the key, key) of the enclosing mappings
    built: set[tuple[int, str]] = set()  # (document, service) with a build: key
    images: list[tuple[int, str, int, int, str]] = []  # (document, service, line, start, image)
    document = 0
    for number, line in enumerate(lines):
        if line.strip() in ("---", "...") or line.startswith("---"):
            parents = []  # a new document
            document += 1
            continue
        found = _KEY_RE.fullmatch(line)
        if found is None or line.lstrip().startswith("#"):
            continue
        column = found.end("indent") + (len(found["dash"]) if found["dash"] else 0)
        while parents and parents[-1][0] >= column:
            parents.pop()
        key = found["key"]
        service = parents[1][1] if not kubernetes and len(parents) == 2 else ""
        if key == "build" and service:
            built.add((document, service))
        if key == "image" and _is_image_key(parents, kubernetes):
            value = _IMAGE_VALUE_RE.fullmatch(found["rest"])
            if value is not None:
                start = found.start("rest") + value.start("image")
                images.append((document, service, number, start, value["image"]))
        parents.append((column, key))
    for document, service, number, start, image in images:
        if (document, service) in built:
            # with build:, image: names the image compose builds and tags, not one to pull
            scan.warnings.append(
                f"{path}:{number + 1}: {image} is the image service {service!r} builds; left alone"
            )
            continue
        _take(scan, path, number, start, image)


def _is_image_key(parents: list[tuple[int, str]], kubernetes: bool) -> bool:
    keys = [key for _, key in parents]
    if kubernetes:
        return bool(keys) and keys[-1] in CONTAINER_LISTS
    return len(keys) == 2 and keys[0] == "services"


def rewrite(text: str, changes: dict[Found, str]) -> str:
    """``text`` with each found reference replaced; everything else byte for byte."""
    lines = text.splitlines(keepends=True)
    by_line: dict[int, list[tuple[Found, str]]] = {}
    for found, new in changes.items():
        by_line.setdefault(found.line, []).append((found, new))
    for number, edits in by_line.items():
        line = lines[number]
        for found, new in sorted(edits, key=lambda edit: edit[0].start, reverse=True):
            if line[found.start : found.end] != found.text:
                raise ValueError(f"line {number + 1} changed while it was being rewritten")
            line = line[: found.start] + new + line[found.end :]
        lines[number] = line
    return "".join(lines)


def pinned_text(written: str, tag: str, digest: str) -> str:
    """``name:TAG@sha256:…``, keeping the name as it was written (``nginx`` stays ``nginx``)."""
    name = written.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    return f"{name}:{tag}@{digest}"
