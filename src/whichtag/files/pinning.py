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
import itertools
import os
import re
import stat
from collections import deque
from dataclasses import dataclass, field
from pathlib import PurePath

import yaml

from whichtag.errors import InvalidReferenceError, UsageError
from whichtag.files.dockerargs import Scopes, arg_line, resolve_uses
from whichtag.files.variables import Variable, expand, pieces
from whichtag.names.reference import parse_reference

CONTAINER_LISTS = {"containers", "initContainers", "ephemeralContainers"}

#: Dockerfile instructions are read word by word (``\S+``): a pattern repeating a group of
#: words over the whole line (``(?:--flag=\S+\s+)*``) keeps state for each word, which on a
#: hostile line of a megabyte costs more than linear time
_WORD_RE = re.compile(r"\S+")
_FROM_START_RE = re.compile(r"\s*FROM\s", re.IGNORECASE)
_COPY_START_RE = re.compile(r"\s*COPY\s", re.IGNORECASE)
_FLAG_RE = re.compile(r"--[A-Za-z-]+=\S+")
_IMAGE_PREFIX_RE = re.compile(r"[^\s\\]+")
_HEREDOC_RE = re.compile(r"<<(?P<dash>-?)([\"']?)(?P<word>[A-Za-z_][A-Za-z0-9_]*)\2")
_RUN_RE = re.compile(r"\s*RUN\s", re.IGNORECASE)
#: ``from=IMAGE`` inside one ``--mount=…`` word (the line is split into words first: a
#: pattern spanning the line, ``--mount=\S*?\bfrom=``, is quadratic on repeated ``--mount=``)
_MOUNT_FROM_RE = re.compile(r"\bfrom=(?P<image>[^,\s]+)", re.IGNORECASE)
_PLATFORM_FLAG_RE = re.compile(r"--platform=(?P<value>\S+)", re.IGNORECASE)


@dataclass(frozen=True)
class Found:
    """One image reference in a file: where it is and how it is written."""

    line: int  # 0-based
    start: int  # offsets in the line, without its line ending
    end: int
    text: str  # the reference, variables expanded (what is asked and reported)
    platform: str | None = None  # FROM --platform=… (when written out, not from an ARG)
    #: the characters at (line, start, end) when they are not ``text`` itself: an ARG's
    #: default, a compose variable's default, a Helm ``tag:`` or ``digest:`` value
    written: str | None = None
    #: what pinning writes there: "reference" (the pinned reference), "suffix" (``base``
    #: then ``@`` and the digest), "digest" (the digest alone) or "sha" (its hex alone)
    form: str = "reference"
    base: str = ""

    @property
    def span(self) -> str:
        """The characters at (line, start, end) as read."""
        return self.text if self.written is None else self.written

    def replacement(self, pinned: str) -> str:
        """What the characters at (line, start, end) become for the pinned reference."""
        if self.form == "reference":
            return pinned
        digest = pinned.partition("@")[2]
        if self.form == "digest":
            return digest
        if self.form == "sha":  # the hex alone (a Helm sha: value)
            return digest.partition(":")[2]
        return f"{self.base}@{digest}"


@dataclass
class Scan:
    """The references a file holds, and what it could not read."""

    kind: str  # dockerfile, compose, kubernetes, or unknown
    found: list[Found] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: image references seen that cannot be known as written (a variable without a default,
    #: a template expression, a reference split over lines): warned about, and the run
    #: cannot tell (3) until they are ignored
    unpinnable: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said, never counted (Helm templates)
    #: compose ``image:`` beside ``build:`` (the image compose builds, not one to pin), as
    #: file:line: a run says so in one note, never a warning per file
    built: list[str] = field(default_factory=list)

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


def template_note(templates: str) -> str:
    """The note naming a chart's templates folder, said once per chart."""
    return f"{templates}: Helm templates are not read; their images come from values.yaml"


def file_kind(path: str, text: str) -> str:
    """dockerfile (by name); helm (a chart's values*.yaml, beside its Chart.yaml) or
    helm-template (under its templates/); kubernetes or compose (a YAML file by what its
    documents hold); or unknown."""
    from whichtag.files.helm import chart_of, template_chart

    name = PurePath(path).name.lower()
    if is_dockerfile_name(name):
        return "dockerfile"
    if name.endswith((".yml", ".yaml")) and template_chart(path) is not None:
        return "helm-template"
    if chart_of(path) is not None:
        return "helm"
    if name.endswith((".yml", ".yaml")):
        parsed = _parse(text)
        if parsed is None:
            return "unknown"
        mappings = [doc for doc in parsed.documents if isinstance(doc, yaml.MappingNode)]
        if any(parsed.get(doc, "apiVersion") and parsed.get(doc, "kind") for doc in mappings):
            return "kubernetes"
        if any(isinstance(parsed.get(doc, "services"), yaml.MappingNode) for doc in mappings):
            return "compose"
    return "unknown"


def find_references(path: str, text: str) -> Scan:
    """Every image reference in ``text`` (the file at ``path``). A YAML file whose merge
    keys loop or expand past the bounds is a UsageError naming it."""
    try:
        return _find_references(path, text)
    except YamlMergeError as why:
        raise UsageError(
            f"{path}: {why}; not read", hint="expand the merges, or pin the file's images by hand"
        ) from None


def _find_references(path: str, text: str) -> Scan:
    kind = file_kind(path, text)
    scan = Scan(kind)
    if kind == "dockerfile":
        if text.startswith("\ufeff"):
            text = " " + text[1:]  # a UTF-8 BOM: read past it, offsets unchanged
        _dockerfile(text.splitlines(), scan, path)
    elif kind in ("compose", "kubernetes"):
        _yaml(text, scan, path, kubernetes=kind == "kubernetes")
    elif kind == "helm":
        from whichtag.files.helm import app_version, app_version_paths, chart_of, values_file

        chart = chart_of(path) or "."
        values_file(path, text, scan, app_version(chart), app_version_paths(chart))
    elif kind == "helm-template":
        scan.notes.append(template_note(os.path.dirname(path)))
    else:
        scan.warnings.append(
            f"{path}: not a Dockerfile, compose file or Kubernetes manifest; left alone"
        )
    return scan


def _take(
    scan: Scan,
    path: str,
    number: int,
    start: int,
    image: str,
    platform: str | None = None,
    *,
    written: str | None = None,
    form: str = "reference",
    base: str = "",
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
    end = start + len(image if written is None else written)
    scan.found.append(Found(number, start, end, image, platform, written, form, base))


@dataclass(frozen=True)
class _Image:
    """An image named in a Dockerfile line: where it starts, as written, its stage name."""

    start: int
    text: str
    stage: str | None = None


def _leading_flags(words: list[re.Match[str]], line: str) -> int:
    """How many of the first words are ``--flag=value`` followed by more of the line."""
    count = 0
    for word in words:
        if word.end() == len(line) or not _FLAG_RE.fullmatch(word[0]):
            break
        count += 1
    return count


def _from_line(line: str) -> _Image | None:
    """``FROM [--flag=value...] IMAGE [AS stage]``, the whole line; None for another line."""
    if not _FROM_START_RE.match(line):
        return None
    rest = list(_WORD_RE.finditer(line))[1:]
    if not rest:
        return None
    flags = _leading_flags(rest[:-1], line)
    if flags == len(rest) - 1:
        return _Image(rest[-1].start(), rest[-1][0])
    if len(rest) >= 3 and rest[-2][0].lower() == "as" and flags >= len(rest) - 3:
        return _Image(rest[-3].start(), rest[-3][0], rest[-1][0])
    return None


def _continued(line: str) -> _Image | None:
    """The image of a FROM continued on this line: the first word after its flags (up to a
    backslash), and ``AS stage`` after it."""
    words = list(_WORD_RE.finditer(line))
    flags = _leading_flags(words, line)
    for index in (flags, flags - 1):  # a flag itself when the word after it is a backslash
        if not 0 <= index < len(words):
            continue
        image = _IMAGE_PREFIX_RE.match(words[index][0])
        if image is None:
            continue
        whole = image.end() == len(words[index][0])
        named = whole and index + 2 < len(words) and words[index + 1][0].lower() == "as"
        return _Image(words[index].start(), image[0], words[index + 2][0] if named else None)
    return None


def _copy_from(line: str) -> _Image | None:
    """``COPY ... --from=IMAGE ...``: the first ``--from=`` word's value."""
    if not _COPY_START_RE.match(line):
        return None
    for word in itertools.islice(_WORD_RE.finditer(line), 1, None):
        if word[0][:7].lower() == "--from=" and len(word[0]) > 7:
            return _Image(word.start() + 7, word[0][7:])
    return None


def _dockerfile(lines: list[str], scan: Scan, path: str) -> None:
    stages: set[str] = set()
    scopes = Scopes()
    heredocs: deque[tuple[str, bool]] = deque()  # terminators still open: (word, tabs stripped)

    def image(number: int, start: int, text: str, platform: str | None, *, in_from: bool) -> None:
        if "$" in text:  # built from ARGs: decided once every line is read (resolve_uses)
            scopes.use(number, start, text, platform, in_from=in_from)
        else:
            _take(scan, path, number, start, text, platform)

    for number, line in enumerate(lines):
        if heredocs:  # a heredoc body (RUN <<EOF ... EOF) is data, never an instruction
            word, dash = heredocs[0]
            if (line.lstrip("\t") if dash else line) == word:
                heredocs.popleft()
            continue
        if line.lstrip().startswith("#"):
            continue
        heredocs = deque((m["word"], bool(m["dash"])) for m in _HEREDOC_RE.finditer(line))
        declared = arg_line(line, number)
        if declared is not None:
            scopes.declare(declared)
            continue
        found = _from_line(line)
        if found is not None and found.text == "\\" and number + 1 < len(lines):
            # FROM continued on the next line: the image is that line's first word
            nxt = _continued(lines[number + 1])
            if nxt is not None and nxt.text not in stages and nxt.text != "scratch":
                image(number + 1, nxt.start, nxt.text, None, in_from=True)
            if nxt is not None and nxt.stage:
                stages.add(nxt.stage.lower())
            scopes.new_stage()
            continue
        if found is not None:
            if found.text.lower() not in stages and found.text.lower() != "scratch":
                platform = _PLATFORM_FLAG_RE.search(line, 0, found.start)
                written = platform["value"] if platform and "$" not in platform["value"] else None
                image(number, found.start, found.text, written, in_from=True)
            if found.stage:
                stages.add(found.stage.lower())
            scopes.new_stage()
            continue
        copy = _copy_from(line)
        if copy is not None and copy.text.lower() not in stages and not copy.text.isdigit():
            image(number, copy.start, copy.text, None, in_from=False)
        if _RUN_RE.match(line):  # RUN --mount=type=bind,from=IMAGE,...: an image too
            for token in _WORD_RE.finditer(line):
                if not token[0].lower().startswith("--mount="):
                    continue
                mount = _MOUNT_FROM_RE.search(token[0], len("--mount="))
                if mount is None:
                    continue
                text = mount["image"]
                if text.lower() not in stages and not text.isdigit():
                    start = token.start() + mount.start("image")
                    image(number, start, text, None, in_from=False)
    resolve_uses(
        scopes,
        where=lambda number: f"{path}:{number + 1}",
        cannot_pin=scan.cannot_pin,
        take=lambda number, start, text, platform, **how: _take(
            scan, path, number, start, text, platform, **how
        ),
        skip=lambda text: text.lower() in stages or text.lower() == "scratch",
    )
    scan.found.sort(key=lambda found: (found.line, found.start))


#: libyaml's parser where PyYAML has it, else the pure-Python one; both keep each node's line
#: and column. Measured: a 5.3 MB bundle of 9,000 Deployments (18,000 references) is read in
#: about 7 s at about 290 MB; the pure-Python parser took 116 s.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


#: pairs looked at while expanding a file's merge keys, and how deep merges may nest: real
#: files merge a few anchors a level or two deep; a few hundred bytes of nested merges, each
#: level merging the one below ten times, would otherwise grow tenfold a level
MAX_MERGED_PAIRS = 1_000_000
MAX_MERGE_DEPTH = 100


class YamlMergeError(ValueError):
    """Merge keys (``<<:``) that cannot be expanded: a loop, or past the bounds."""


class _Parsed:
    """A YAML text's documents as nodes (positions kept), and its merge keys expanded: each
    mapping once (remembered by node), its own keys first, then merged keys it does not
    have itself (YAML's rule: the first source to give a key wins)."""

    def __init__(self, documents: list[yaml.Node | None]) -> None:
        self.documents = documents
        self._expanded: dict[int, list[tuple[yaml.Node, yaml.Node]]] = {}
        self._open: list[int] = []  # mappings being expanded: one met again is a loop
        self.visited = 0  # pairs looked at, against MAX_MERGED_PAIRS

    def pairs(self, mapping: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
        """A mapping's key/value pairs, merge keys (``<<: *anchor``) expanded."""
        known = self._expanded.get(id(mapping))
        if known is not None:
            return known
        line = mapping.start_mark.line + 1
        if id(mapping) in self._open:
            raise YamlMergeError(f"the mapping at line {line} merges itself (<<:)")
        if len(self._open) >= MAX_MERGE_DEPTH:
            raise YamlMergeError(f"merge keys (<<:) nested more than {MAX_MERGE_DEPTH} deep")
        self._open.append(id(mapping))
        try:
            own = [(key, value) for key, value in mapping.value if key.value != "<<"]
            merged: list[tuple[yaml.Node, yaml.Node]] = []
            for key, value in mapping.value:
                if key.value == "<<":
                    sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
                    for source in sources:
                        if isinstance(source, yaml.MappingNode):
                            expanded = self.pairs(source)
                            self._count(len(expanded))
                            merged += expanded
        finally:
            self._open.pop()
        self._count(len(own))
        pairs = _first_of_each_key(own + merged)
        self._expanded[id(mapping)] = pairs
        return pairs

    def _count(self, pairs: int) -> None:
        self.visited += pairs
        if self.visited > MAX_MERGED_PAIRS:
            raise YamlMergeError(f"merge keys (<<:) expand to more than {MAX_MERGED_PAIRS} keys")

    def get(self, mapping: yaml.MappingNode, key: str) -> yaml.Node | None:
        for name, value in self.pairs(mapping):
            if isinstance(name, yaml.ScalarNode) and name.value == key:
                return value
        return None


def _first_of_each_key(
    pairs: list[tuple[yaml.Node, yaml.Node]],
) -> list[tuple[yaml.Node, yaml.Node]]:
    """Each key once, the first given: a mapping's own value over a merged one, an earlier
    merge source over a later one."""
    names: set[object] = set()
    kept = []
    for key, value in pairs:
        if isinstance(key, yaml.ScalarNode):
            if key.value in names:
                continue
            names.add(key.value)
        kept.append((key, value))
    return kept


@functools.lru_cache(maxsize=2)
def _parse(text: str) -> _Parsed | None:
    """The YAML documents, or None when it is not valid YAML. The file is never rewritten
    from these: they only locate each reference in the text. Kept for the last texts read:
    deciding a file's kind and finding its references parse (and expand merges) once."""
    try:
        return _Parsed(list(yaml.compose_all(text, Loader=_LOADER)))
    except (yaml.YAMLError, RecursionError):
        return None


def _yaml(text: str, scan: Scan, path: str, *, kubernetes: bool) -> None:
    """Compose services' ``image:`` (unless beside ``build:``, which names the image compose
    builds) or Kubernetes containers' ``image:``, found with a YAML parser (anchors, merges,
    flow style, quoted keys, values on the next line, block strings are not manifests)."""
    parsed = _parse(text)
    if parsed is None:
        return
    seen: set[int] = set()
    for document in parsed.documents:
        if not isinstance(document, yaml.MappingNode):
            continue
        if kubernetes:
            for container_image in _container_images(parsed, document):
                _take_node(scan, path, text, container_image, seen)
            continue
        services = parsed.get(document, "services")
        if not isinstance(services, yaml.MappingNode):
            continue
        for _, service in parsed.pairs(services):
            if not isinstance(service, yaml.MappingNode):
                continue
            image = parsed.get(service, "image")
            if image is None:
                continue
            if parsed.get(service, "build") is not None:
                scan.built.append(f"{path}:{image.start_mark.line + 1}")
                continue
            _take_node(scan, path, text, image, seen, compose=True)


def _container_images(parsed: _Parsed, node: yaml.Node) -> list[yaml.Node]:
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
            for key, value in parsed.pairs(current):
                if key.value in CONTAINER_LISTS and isinstance(value, yaml.SequenceNode):
                    for entry in value.value:
                        is_mapping = isinstance(entry, yaml.MappingNode)
                        image = parsed.get(entry, "image") if is_mapping else None
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


def _take_node(
    scan: Scan, path: str, text: str, node: yaml.Node, seen: set[int], *, compose: bool = False
) -> None:
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
    column = start + offset - _line_starts(text)[line]
    if compose and "$" in node.value:
        _compose_variables(scan, path, line, column, node.value)
    else:
        _take(scan, path, line, column, node.value)


def _compose_variables(scan: Scan, path: str, line: int, column: int, value: str) -> None:
    """A compose ``image:`` with variables, read with their defaults (``${TAG:-1.27}``): the
    digest goes inside the last default when the reference ends with one (so that setting the
    variable still works), else after the literal text that ends it. A variable without a
    default cannot be known here (the environment and ``.env`` are not read)."""
    where = f"{path}:{line + 1}"
    parts = pieces(value, dollar_escape=True)
    if parts is None or "$$" in value:
        scan.cannot_pin(where, f"the variables in {value[:80]!r} cannot be read")
        return
    text = ""
    for part in parts:
        if isinstance(part, str):
            text += part
            continue
        expanded = expand(part, None)
        if expanded is None or part.operator in (":+", "+"):
            scan.cannot_pin(
                where, f"{value[:80]} is built from ${{{part.name}}}, which has no default here"
            )
            return
        text += expanded.text
    last = parts[-1]
    if isinstance(last, Variable):
        span_start, written = last.argument_start, last.argument
    else:
        span_start = parts[-2].end if len(parts) > 1 and isinstance(parts[-2], Variable) else 0
        written = value[span_start:]
    if not written or ("@" in text and "@" not in written):
        scan.cannot_pin(where, f"{value[:80]}: no default or text ends it to hold the digest")
        return
    if len(parts) == 1 and isinstance(last, Variable):  # ${IMAGE:-nginx:1.27}: the whole image
        _take(scan, path, line, column + span_start, text, written=written)
        return
    base = written[: written.rfind("@")] if "@" in written else written
    _take(scan, path, line, column + span_start, text, written=written, form="suffix", base=base)


def rewrite(text: str, changes: dict[Found, str]) -> str:
    """``text`` with each found reference replaced; everything else byte for byte."""
    lines = text.splitlines(keepends=True)
    by_line: dict[int, list[tuple[Found, str]]] = {}
    for found, new in changes.items():
        by_line.setdefault(found.line, []).append((found, new))
    for number, edits in by_line.items():
        line = lines[number]
        for found, new in sorted(edits, key=lambda edit: edit[0].start, reverse=True):
            if line[found.start : found.end] != found.span:
                raise ValueError(f"line {number + 1} changed while it was being rewritten")
            line = line[: found.start] + found.replacement(new) + line[found.end :]
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
            chart = os.path.isfile(os.path.join(folder, "Chart.yaml"))
            for name in sorted(folders):
                full = os.path.join(folder, name)
                if name in SKIPPED_FOLDERS:
                    continue
                if chart and name == "templates":
                    walk.notes.append(template_note(full))
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
