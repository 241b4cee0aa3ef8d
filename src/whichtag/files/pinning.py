"""Image references in Dockerfiles, compose files and Kubernetes manifests, and rewriting
them in place: only the reference's own characters change, so comments, quoting, indentation
and line endings stay byte for byte.

- Dockerfile (``Dockerfile``, ``*.Dockerfile``, ``Dockerfile.*``, ``Containerfile``): ``FROM
  [--platform=…] IMAGE [AS name]`` and ``COPY --from=IMAGE``; a name given to an earlier stage
  (``FROM build``, ``COPY --from=build``, ``--from=0``) is not an image, nor is ``scratch``;
  a reference built from ``$ARG`` is left alone with a warning (its value is not known here).
- Compose (a YAML file with ``services:``): ``image:`` of a service (merges included),
  unless beside ``build:``, where it names the image compose builds.
- Kubernetes (a YAML file with ``apiVersion:`` and ``kind:``, one or many documents):
  ``image:`` in ``containers``, ``initContainers`` and ``ephemeralContainers`` entries.
YAML is parsed (PyYAML's nodes keep positions) only to *find* references; the rewrite edits
the original text at those positions, so the file stays byte for byte.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import PurePath

import yaml

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
_RUN_RE = re.compile(r"\s*RUN\s", re.IGNORECASE)
_MOUNT_FROM_RE = re.compile(r"--mount=\S*?\bfrom=(?P<image>[^,\s]+)", re.IGNORECASE)
_PLATFORM_FLAG_RE = re.compile(r"--platform=(?P<value>\S+)", re.IGNORECASE)
_COPY_FROM_RE = re.compile(r"(?P<head>\s*COPY\s+(?:\S+\s+)*?--from=)(?P<image>\S+)", re.IGNORECASE)


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
    #: image references seen but not pinnable as written (an ARG, a template, a reference
    #: split over lines): warned about, and ``pin --check`` counts them as unpinned
    unpinnable: list[str] = field(default_factory=list)

    def cannot_pin(self, where: str, why: str) -> None:
        self.warnings.append(f"{where}: {why}; left alone (not pinned)")
        self.unpinnable.append(where)


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
    """dockerfile (by name), kubernetes or compose (a YAML file by what its documents hold),
    or unknown."""
    name = PurePath(path).name.lower()
    if is_dockerfile_name(name):
        return "dockerfile"
    if name.endswith((".yml", ".yaml")):
        documents = _documents(text)
        if documents is None:
            return "unknown"
        mappings = [doc for doc in documents if isinstance(doc, yaml.MappingNode)]
        if any(_get(doc, "apiVersion") and _get(doc, "kind") for doc in mappings):
            return "kubernetes"
        if any(isinstance(_get(doc, "services"), yaml.MappingNode) for doc in mappings):
            return "compose"
    return "unknown"


def find_references(path: str, text: str) -> Scan:
    """Every image reference in ``text`` (the file at ``path``)."""
    kind = file_kind(path, text)
    scan = Scan(kind)
    if kind == "dockerfile":
        if text.startswith("\ufeff"):
            text = " " + text[1:]  # a UTF-8 BOM: read past it, offsets unchanged
        _dockerfile(text.splitlines(), scan, path)
    elif kind in ("compose", "kubernetes"):
        _yaml(text, scan, path, kubernetes=kind == "kubernetes")
    else:
        scan.warnings.append(
            f"{path}: not a Dockerfile, compose file or Kubernetes manifest; left alone"
        )
    return scan


def _take(
    scan: Scan, path: str, number: int, start: int, image: str, platform: str | None = None
) -> None:
    if "$" in image or "{{" in image:
        scan.cannot_pin(
            f"{path}:{number + 1}", f"{image} is built from a variable (ARG, ${{...}}, a template)"
        )
        return
    try:
        parse_reference(image)
    except InvalidReferenceError as error:
        scan.cannot_pin(f"{path}:{number + 1}", error.message)
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
        if _RUN_RE.match(line):  # RUN --mount=type=bind,from=IMAGE,...: an image too
            for mount in _MOUNT_FROM_RE.finditer(line):
                image = mount["image"]
                if image.lower() not in stages and not image.isdigit():
                    _take(scan, path, number, mount.start("image"), image)


#: libyaml's parser where PyYAML has it, else the pure-Python one; both keep each node's line
#: and column. Measured: a 5.3 MB bundle of 9,000 Deployments (18,000 references) is read in
#: about 7 s at about 290 MB; the pure-Python parser took 116 s.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=2)
def _documents(text: str) -> list[yaml.Node | None] | None:
    """The YAML documents as nodes (positions kept), or None when it is not valid YAML. The
    file is never rewritten from these: they only locate each reference in the text. Kept
    for the last texts read: deciding a file's kind and finding its references parse once."""
    try:
        return list(yaml.compose_all(text, Loader=_LOADER))
    except (yaml.YAMLError, RecursionError):
        return None


def _pairs(mapping: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
    """A mapping's key/value pairs, merge keys (``<<: *anchor``) expanded, own keys first."""
    own = [(key, value) for key, value in mapping.value if key.value != "<<"]
    merged: list[tuple[yaml.Node, yaml.Node]] = []
    for key, value in mapping.value:
        if key.value == "<<":
            sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for source in sources:
                if isinstance(source, yaml.MappingNode):
                    merged += _pairs(source)
    return own + merged


def _get(mapping: yaml.MappingNode, key: str) -> yaml.Node | None:
    for name, value in _pairs(mapping):
        if isinstance(name, yaml.ScalarNode) and name.value == key:
            return value
    return None


def _yaml(text: str, scan: Scan, path: str, *, kubernetes: bool) -> None:
    """Compose services' ``image:`` (unless beside ``build:``, which names the image compose
    builds) or Kubernetes containers' ``image:``, found with a YAML parser (anchors, merges,
    flow style, quoted keys, values on the next line, block strings are not manifests)."""
    documents = _documents(text) or []
    seen: set[int] = set()
    for document in documents:
        if not isinstance(document, yaml.MappingNode):
            continue
        if kubernetes:
            for container_image in _container_images(document):
                _take_node(scan, path, text, container_image, seen)
            continue
        services = _get(document, "services")
        if not isinstance(services, yaml.MappingNode):
            continue
        for name, service in _pairs(services):
            if not isinstance(service, yaml.MappingNode):
                continue
            image = _get(service, "image")
            if image is None:
                continue
            if _get(service, "build") is not None:
                scan.warnings.append(
                    f"{path}:{image.start_mark.line + 1}: the image service {name.value!r} "
                    "builds; left alone"
                )
                continue
            _take_node(scan, path, text, image, seen)


def _container_images(node: yaml.Node) -> list[yaml.Node]:
    """``image:`` of every entry of ``containers``, ``initContainers`` and
    ``ephemeralContainers`` anywhere in a Kubernetes document (pods, templates, lists)."""
    found: list[yaml.Node] = []
    stack = [node]
    visited: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in visited:
            continue
        visited.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key, value in _pairs(current):
                if key.value in CONTAINER_LISTS and isinstance(value, yaml.SequenceNode):
                    for entry in value.value:
                        image = (
                            _get(entry, "image") if isinstance(entry, yaml.MappingNode) else None
                        )
                        if image is not None:
                            found.append(image)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack += current.value
    return found


@functools.lru_cache(maxsize=2)
def _line_starts(text: str) -> list[int]:
    return [0, *(index + 1 for index, char in enumerate(text) if char == "\n")]


def _position(text: str, line: int, column: int) -> int:
    """The index of (line, column) in ``text``: by line and column, which PyYAML's and
    libyaml's marks agree on (their indexes differ after a byte order mark)."""
    return _line_starts(text)[line] + column


def _take_node(scan: Scan, path: str, text: str, node: yaml.Node, seen: set[int]) -> None:
    """A reference at a YAML scalar's own characters (past an ``&anchor`` and quotes); one
    that is not written out plainly on one line is reported, never silently skipped."""
    start = _position(text, node.start_mark.line, node.start_mark.column)
    if start in seen:
        return  # one scalar reached again through an alias or a merge
    seen.add(start)
    number = node.start_mark.line + 1
    if not isinstance(node, yaml.ScalarNode) or not isinstance(node.value, str):
        scan.cannot_pin(f"{path}:{number}", "image is not a string")
        return
    raw = text[start : _position(text, node.end_mark.line, node.end_mark.column)]
    offset = raw.find(node.value) if node.value else -1
    if offset < 0 or "\n" in raw[: offset + len(node.value)] or node.style in ("|", ">"):
        scan.cannot_pin(
            f"{path}:{number}", f"{node.value[:80]!r} is not written on one line as it is"
        )
        return
    line = node.start_mark.line  # the value is on the scalar's first line (checked above)
    _take(scan, path, line, start + offset - _line_starts(text)[line], node.value)


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


#: folders never walked for files to pin: version control, dependencies, virtual envs
SKIPPED_FOLDERS = {".git", ".hg", ".svn", "node_modules", "vendor", ".venv", "venv", "__pycache__"}


@dataclass
class Walk:
    """What a walk found: the files to read (and whether each was named), the entries it
    could not read (warnings: a run that meets one cannot tell), and the links it did not
    follow whose targets it reads where they are (notes)."""

    files: list[tuple[str, bool]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _wanted(name: str) -> bool:
    return is_dockerfile_name(name) or name.lower().endswith((".yml", ".yaml"))


def files_to_read(paths: list[str]) -> Walk:
    """The files named, and in each folder named the files pin recognises (Dockerfiles by
    name; compose files and Kubernetes manifests, *.yml/*.yaml, by content), in sorted order;
    a file named explicitly is taken on its content. A folder that cannot be read, and a
    file to read that is not a regular file, are problems, never skipped without a word.
    Symbolic links met in a folder are never followed (a link could rewrite a file twice, or
    one outside the folder): one pointing inside the folder is a note (its target is read
    where it is), one pointing outside it or nowhere is a problem."""
    walk = Walk()
    for path in paths:
        if not os.path.isdir(path):
            walk.files.append((path, True))
            continue
        tree = os.path.realpath(path)

        def unreadable(error: OSError) -> None:
            walk.problems.append(
                f"{error.filename}: cannot read this folder ({error.strerror or error}); not walked"
            )

        for folder, folders, names in os.walk(path, onerror=unreadable):
            kept = []
            for name in sorted(folders):
                full = os.path.join(folder, name)
                if name in SKIPPED_FOLDERS:
                    continue
                if os.path.islink(full):
                    _link(walk, tree, full, "folder")
                else:
                    kept.append(name)
            folders[:] = kept
            for name in sorted(names):
                if _wanted(name):
                    _file(walk, tree, os.path.join(folder, name))
    return walk


def _file(walk: Walk, tree: str, full: str) -> None:
    try:
        info = os.lstat(full)
    except OSError as error:
        walk.problems.append(f"{full}: cannot read ({error.strerror or error}); not read")
        return
    if stat.S_ISLNK(info.st_mode):
        _link(walk, tree, full, "file")
    elif not stat.S_ISREG(info.st_mode):
        walk.problems.append(f"{full}: not a regular file; not read")
    else:
        walk.files.append((full, False))


def _link(walk: Walk, tree: str, full: str, what: str) -> None:
    target = os.path.realpath(full)
    if not os.path.exists(target):
        walk.problems.append(f"{full}: a symbolic link to nothing ({target}); not read")
    elif os.path.commonpath([tree, target]) == tree:
        walk.notes.append(
            f"{full}: a symbolic link to the {what} {target}, inside the folder walked; "
            f"not followed (the {what} is read where it is)"
        )
    else:
        walk.problems.append(
            f"{full}: a symbolic link to {target}, outside {tree}; not followed (name the "
            f"{what} itself to read it)"
        )
