"""Helm charts: the images a chart's ``values.yaml`` (and ``values*.yaml`` beside its
``Chart.yaml``) names, in the common shapes: ``image: {registry?, repository, tag, digest?}``
(the starter chart's and bitnami's) and ``image: "repo:tag"``, at any depth. An empty
``tag`` is the chart's ``appVersion`` where the chart's templates say so, as the starter
chart's does (``{{ .Values.image.tag | default .Chart.AppVersion }}``); another default (a
Kubernetes version) cannot be known here. Pinning writes the digest into ``digest:`` where
the mapping has one (bitnami's templates prefer it; kube-prometheus-stack's ``sha:`` holds
the hex alone), else into ``tag:`` (``"1.27.3@sha256:…"``). Templates (``templates/``) are
never read: their images come from the values. A ``global.imageRegistry`` override is not
followed."""

from __future__ import annotations

import os
from pathlib import PurePath

import yaml

from whichtag.files.pinning import Scan, _parse, _Parsed, _position, _take, _take_node

CHART = "Chart.yaml"


def chart_of(path: str) -> str | None:
    """The chart folder a values file belongs to (a ``Chart.yaml`` beside it), else None."""
    name = PurePath(path).name.lower()
    if not (name.startswith("values") and name.endswith((".yaml", ".yml"))):
        return None
    folder = os.path.dirname(path) or "."
    return folder if os.path.isfile(os.path.join(folder, CHART)) else None


def template_chart(path: str) -> str | None:
    """The chart whose ``templates/`` folder holds ``path``, else None."""
    parts = PurePath(os.path.abspath(path)).parents
    for folder in parts:
        if folder.name == "templates" and os.path.isfile(folder.parent / CHART):
            return str(folder.parent)
    return None


def app_version(chart: str) -> str | None:
    """``appVersion`` of the chart's Chart.yaml (a string however it is written), else None."""
    try:
        with open(os.path.join(chart, CHART), encoding="utf-8") as file:
            loaded = yaml.safe_load(file.read(1024 * 1024))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    version = loaded.get("appVersion") if isinstance(loaded, dict) else None
    return None if version is None or version == "" else str(version)


MAX_TEMPLATE_BYTES = 8 * 1024 * 1024  # templates read for "default .Chart.AppVersion"


def app_version_paths(chart: str) -> set[str]:
    """The values paths whose tag the chart's templates default to the appVersion: each
    ``.Values.PATH.tag | default .Chart.AppVersion`` (spaces collapsed), found by plain
    search, never a pattern (a pattern over 8 MB of hostile templates could be quadratic)."""
    parts: list[str] = []
    size = 0
    for folder, _, names in os.walk(os.path.join(chart, "templates")):
        for name in sorted(names):
            try:
                with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as file:
                    parts.append(file.read(max(MAX_TEMPLATE_BYTES - size, 0)))
            except OSError:
                continue
            size += len(parts[-1])
    text = " ".join(" ".join(parts).split())
    paths: set[str] = set()
    marker = " | default .Chart.AppVersion"
    at = text.find(marker)
    previous = 0
    while at >= 0:
        token = text[max(text.rfind(" ", previous, at) + 1, previous) : at]
        if token.startswith(".Values.") and token.endswith(".tag"):
            paths.add(token[len(".Values.") : -len(".tag")])
        previous = at + len(marker)
        at = text.find(marker, previous)
    return paths


def values_file(path: str, text: str, scan: Scan, app: str | None, defaults: set[str]) -> None:
    """Every ``image:`` in a values file, at any depth."""
    parsed = _parse(text)
    if parsed is None:
        scan.cannot_pin(path, "not valid YAML")
        return
    seen: set[int] = set()
    for document in parsed.documents:
        for where, image in _images(parsed, document):
            if isinstance(image, yaml.MappingNode) and parsed.get(image, "repository") is None:
                for key, named in parsed.pairs(image):  # image: {busybox: {repository: ...}}
                    if isinstance(named, yaml.MappingNode):
                        inner = f"{where}.{key.value}"
                        own = app if inner in defaults else None
                        _image_mapping(parsed, named, path, text, scan, own)
            elif isinstance(image, yaml.MappingNode):
                own = app if where in defaults else None
                _image_mapping(parsed, image, path, text, scan, own)
            elif isinstance(image, yaml.ScalarNode) and image.tag.endswith(":str") and image.value:
                _take_node(scan, path, text, image, seen)


def _images(parsed: _Parsed, node: yaml.Node | None) -> list[tuple[str, yaml.Node]]:
    """The value of every ``image`` key, anywhere, with its dotted path (``a.b.image``);
    each node once, merges expanded."""
    found: list[tuple[str, yaml.Node]] = []
    stack: list[tuple[str, yaml.Node | None]] = [("", node)]
    visited: set[int] = set()
    while stack:
        where, current = stack.pop()
        if current is None or id(current) in visited:
            continue
        visited.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key, value in parsed.pairs(current):
                name = f"{where}.{key.value}" if where else str(key.value)
                if isinstance(key, yaml.ScalarNode) and key.value == "image":
                    found.append((name, value))
                else:
                    stack.append((name, value))
        elif isinstance(current, yaml.SequenceNode):
            stack += [(f"{where}[]", item) for item in current.value]
    return sorted(found, key=lambda item: (item[1].start_mark.line, item[1].start_mark.column))


def _string(node: yaml.Node | None) -> str | None:
    """A scalar's text (``tag: 1.27`` is the text ``1.27``); None for no value or not a scalar."""
    if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null"):
        return None
    return str(node.value)


def _value_at(text: str, node: yaml.Node) -> tuple[int, int] | None:
    """(line, column) of a scalar's own characters on one line (inside its quotes), else None."""
    if not isinstance(node, yaml.ScalarNode) or node.tag.endswith(":null"):
        return None
    if node.style in ("|", ">") or node.start_mark.line != node.end_mark.line:
        return None
    start = _position(text, node.start_mark.line, node.start_mark.column)
    quoted = node.style in ('"', "'")
    column = node.start_mark.column + (1 if quoted else 0)
    at = start + (1 if quoted else 0)
    if text[at : at + len(node.value)] != node.value:
        return None  # escapes or an &anchor: not the characters written
    return node.start_mark.line, column


def _image_mapping(
    parsed: _Parsed,
    image: yaml.MappingNode,
    path: str,
    text: str,
    scan: Scan,
    app: str | None,
) -> None:
    """``{registry?, repository, tag?, digest?}``: the reference the chart's template makes."""
    repository = _string(parsed.get(image, "repository"))
    if not repository:
        return  # not an image shape read here (an image: name: ...)
    line = image.start_mark.line
    where = f"{path}:{line + 1}"
    registry = _string(parsed.get(image, "registry"))
    tag_node, digest_node = parsed.get(image, "tag"), parsed.get(image, "digest")
    form = "digest"
    if digest_node is None and parsed.get(image, "sha") is not None:
        # kube-prometheus-stack's sha: the hex alone, its template adds @sha256:
        digest_node, form = parsed.get(image, "sha"), "sha"
    tag, digest = _string(tag_node), _string(digest_node)
    if digest and form == "sha":
        digest = f"sha256:{digest}"
    name = f"{registry}/{repository}" if registry else repository
    reference = f"{name}:{tag or app}" if (tag or app) else name
    if not (tag or app):
        scan.cannot_pin(
            where,
            f"{name} has an empty tag, and the chart's templates do not say it defaults to the "
            "chart's appVersion (its tag is known only when the chart is installed)",
        )
        return
    if digest:
        reference += f"@{digest}"
    if "{{" in reference:
        scan.cannot_pin(where, f"{reference} is built from a template")
        return
    digest_at = _value_at(text, digest_node) if digest_node is not None else None
    if digest_at is not None and digest is not None:
        number, column = digest_at
        written = str(digest_node.value)  # type: ignore[union-attr]
        _take(scan, path, number, column, reference, written=written, form=form)
        return
    tag_at = _value_at(text, tag_node) if tag_node is not None else None
    if tag_at is None or tag is None:
        scan.cannot_pin(where, f"{reference}: no tag: or digest: value to write the digest in")
        return
    number, column = tag_at
    base = tag.split("@", 1)[0] if tag else str(app)
    _take(scan, path, number, column, reference, written=tag, form="suffix", base=base)
