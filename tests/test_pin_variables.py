"""``whichtag pin`` on references built from ARG defaults, compose variables with defaults and
Helm values: real files (tests/data/pin/corpus/README.md, variables.json) pinned against a real
registry serving them as Docker Hub, quay.io and ghcr.io would, and the rules each one rests
on (ARG scoping, default expansion, where the digest is written)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml
from testkit.front import Front
from testkit.registry import RegistryProcess
from testkit.seed import Pusher

from conftest import CliRun, Seeded, named_hosts
from whichtag.errors import EXIT_INCOMPLETE, EXIT_OK
from whichtag.files.pinning import find_references
from whichtag.names.reference import parse_reference

Run = Callable[..., CliRun]
CORPUS = Path(__file__).parent / "data" / "pin" / "corpus"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "variables.json").read_text())
HOSTS = ["registry-1.docker.io", "quay.io", "ghcr.io"]


def _placed(name: str, root: Path) -> Path:
    """Where a corpus file is put to be read: under its own name, a chart with its folder."""
    if name.startswith("charts/"):
        chart = name.split("/")[1]
        if not (root / chart).exists():
            shutil.copytree(CORPUS / "charts" / chart, root / chart)
        return root / chart / name.rsplit("/", 1)[-1]
    path = root / name / name.split("__")[-1]
    path.parent.mkdir()
    shutil.copy(CORPUS / name, path)
    return path


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=lambda name: name)
def test_real_files_built_from_variables_yield_their_references(name: str, tmp_path: Path) -> None:
    """Every reference a person reading the file would pin, as its variables' defaults make
    it, and the places it cannot be known (tests/data/pin/corpus/variables.json)."""
    path = _placed(name, tmp_path)
    scan = find_references(str(path), path.read_text())
    refs = EXPECTED[name]["refs"]
    assert [[found.line + 1, found.text] for found in scan.found] == [r[:2] for r in refs]
    unpinnable = EXPECTED[name].get("unpinnable", [])
    assert [int(where.rsplit(":", 1)[1]) for where in scan.unpinnable] == unpinnable


def _with(line: str, old: object, new: object, digest: str) -> str:
    new_text = str(new).replace("{digest}", digest).replace("{hex}", digest.partition(":")[2])
    assert str(old) in line, (line, old)
    return line.replace(str(old), new_text, 1)


def test_the_variables_corpus_round_trip_against_a_registry(
    ca: trustme.CA, tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real files pinned by ``whichtag pin DIR`` against a registry serving their images:
    each expected line becomes what variables.json says (the digest in the ARG line, on the
    FROM line, inside the compose default, in the Helm digest:, sha: or tag:), every other
    byte stays, YAML still loads, a second pin is a no-op, ``pin --check`` passes (but on
    the one place that cannot be known), and ``outdated`` answers every reference."""
    with RegistryProcess() as registry:
        pusher = Pusher(registry.url)
        digests: dict[str, str] = {}
        for refs in EXPECTED.values():
            for _, text, *_ in refs["refs"]:
                tag_form = str(text).split("@", 1)[0]
                if tag_form not in digests:
                    ref = parse_reference(tag_form)
                    pushed = pusher.push_image(ref.repository, f"var-{tag_form}", tag=ref.tag)
                    digests[tag_form] = pushed.digest
        (tmp_path / "certs.d").mkdir()
        served = named_hosts(ca, tmp_path / "certs.d", dict.fromkeys(HOSTS))
        options = served.options(use_credential_files=False)
        for module in ("whichtag.cli.pin", "whichtag.cli.outdated"):
            monkeypatch.setattr(f"{module}.build_options", lambda args, progress: options)
        root = tmp_path / "files"
        root.mkdir()
        placed = {name: _placed(name, root) for name in EXPECTED}
        with Front(registry.host, override=served.route, port=443, tls=served.context):
            first = run("pin", str(root))
            assert first.code == EXIT_INCOMPLETE, first.err
            assert "kube-prometheus-stack/templates: Helm templates are not read" in first.err
            for name, path in placed.items():
                source = (CORPUS / name).read_text().splitlines(keepends=True)
                want = list(source)
                for line, text, old, new in EXPECTED[name]["refs"]:
                    digest = digests[str(text).split("@", 1)[0]]
                    want[int(line) - 1] = _with(source[int(line) - 1], old, new, digest)
                assert path.read_text() == "".join(want), name  # nothing else changed
                if path.suffix in (".yml", ".yaml"):
                    assert list(yaml.safe_load_all(path.read_text()))
            again = run("pin", str(root))
            assert again.code == EXIT_INCOMPLETE and again.out == "", again.err  # a no-op
            check = run("pin", "--check", str(root))
            assert check.code == EXIT_INCOMPLETE and check.out == ""  # kubectl's empty tag only
            assert "1 reference(s) cannot be known" in check.err
            others = [str(path) for name, path in placed.items() if "prometheus-stack" not in name]
            assert run("pin", "--check", *others).code == EXIT_OK
            outdated = run("outdated", str(root), "--json")
    # outdated answers every reference, at its place, with the digest pinned there; the one
    # that cannot be known makes the answer incomplete (exit 3) and is named
    assert outdated.code == 3 and "values.yaml:52" in outdated.err
    answered = set()
    for line in outdated.out.splitlines():
        answer = json.loads(line)
        assert answer["complete"] and answer["stale"] is False, answer
        for where in answer["where"]:
            answered.add((where["path"], where["line"], answer["digest"]))
    wanted = {
        (str(placed[name]), line, digests[str(text).split("@", 1)[0]])
        for name, refs in EXPECTED.items()
        for line, text, *_ in refs["refs"]
    }
    assert answered == wanted


# -- the rules, one at a time (docs/pinning.md "ARG defaults, compose variables and Helm
# values") -------------------------------------------------------------------------------


def test_a_global_arg_default_is_pinned_in_its_arg_line(
    plain: Seeded, nginx: dict[str, str], tmp_path: Path, run: Run
) -> None:
    """``ARG BASE=…`` before the first FROM: ``FROM ${BASE}`` and ``FROM $BASE`` ask the
    default, and pin rewrites it once in the ARG line (quotes kept); a stage's own ARG is
    not usable in a later FROM line, and ``ARG NAME`` in a stage takes the global default
    for COPY --from."""
    host = plain.host
    path = tmp_path / "Dockerfile"
    path.write_text(
        f'ARG BASE="{host}/library/nginx:1.27"\n'
        "FROM ${BASE} AS one\n"
        "ARG LOCAL=" + f"{host}/library/nginx:1.27.3\n"
        "FROM $BASE AS two\n"
        "FROM ${LOCAL}\n"  # LOCAL belongs to stage one: not a global, so not known here
        "COPY --from=${BASE} /c /d\n"  # a global, not yet redeclared in this stage
        "ARG BASE\n"
        "COPY --from=${BASE} /a /b\n"  # the global default, redeclared in this stage
        "COPY --from=${LOCAL} /a /b\n"  # not redeclared in this stage: not known
    )
    result = run("pin", str(path))
    assert result.code == EXIT_INCOMPLETE, result.err
    lines = path.read_text().splitlines()
    assert lines[0] == f'ARG BASE="{host}/library/nginx:1.27@{nginx["1.27"]}"'
    assert lines[1:] == [
        "FROM ${BASE} AS one",
        f"ARG LOCAL={host}/library/nginx:1.27.3",
        "FROM $BASE AS two",
        "FROM ${LOCAL}",
        "COPY --from=${BASE} /c /d",
        "ARG BASE",
        "COPY --from=${BASE} /a /b",
        "COPY --from=${LOCAL} /a /b",
    ]
    assert "Dockerfile:5: ${LOCAL}: $LOCAL has no value here" in result.err
    assert "Dockerfile:6:" in result.err and "Dockerfile:9:" in result.err
    assert "Dockerfile:8:" not in result.err
    check = run("pin", "--check", str(path))
    assert check.code == EXIT_INCOMPLETE and "3 reference(s) cannot be known" in check.err


def test_defaults_in_from_lines_expand_as_buildkit_expands_them(
    plain: Seeded, nginx: dict[str, str], tmp_path: Path, run: Run
) -> None:
    """``${V:-d}`` is d when V is unset or empty, ``${V-d}`` only when V is unset; the default
    used is pinned where it is written (in the FROM line), a value used in its ARG line."""
    host = plain.host
    path = tmp_path / "Dockerfile"
    path.write_text(
        "ARG EMPTY=\n"
        "ARG UNSET\n"
        f"ARG SET={host}/library/nginx:1.27.3\n"
        f"FROM ${{EMPTY:-{host}/library/nginx:1.27}} AS a\n"
        f"FROM ${{UNSET-{host}/library/nginx:stable}} AS b\n"
        f"FROM ${{SET:-{host}/library/nginx:latest}} AS c\n"
        f"FROM ${{EMPTY-{host}/library/nginx:latest}} AS d\n"  # EMPTY is set: the image is ""
    )
    result = run("pin", str(path))
    assert result.code == EXIT_INCOMPLETE, result.err
    assert path.read_text().splitlines() == [
        "ARG EMPTY=",
        "ARG UNSET",
        f"ARG SET={host}/library/nginx:1.27.3@{nginx['1.27.3']}",
        f"FROM ${{EMPTY:-{host}/library/nginx:1.27@{nginx['1.27']}}} AS a",
        f"FROM ${{UNSET-{host}/library/nginx:stable@{nginx['stable']}}} AS b",
        f"FROM ${{SET:-{host}/library/nginx:latest}} AS c",
        f"FROM ${{EMPTY-{host}/library/nginx:latest}} AS d",
    ]
    assert "Dockerfile:7: ${EMPTY-" in result.err and "expands to nothing" in result.err


def test_a_version_arg_is_pinned_on_its_one_from_line(
    plain: Seeded, nginx: dict[str, str], tmp_path: Path, run: Run
) -> None:
    """An ARG supplying part of a reference: the digest goes on the FROM line when that ARG
    feeds that line only; an ARG feeding two image lines is a warning and stays unpinned."""
    host = plain.host
    one = tmp_path / "one" / "Dockerfile"
    one.parent.mkdir()
    one.write_text(f"ARG VERSION=stable\nFROM {host}/library/nginx:${{VERSION}}-alpine\n")
    result = run("pin", str(one))
    assert result.code == EXIT_OK, result.err
    pinned = f"FROM {host}/library/nginx:${{VERSION}}-alpine@{nginx['stable-alpine']}"
    assert one.read_text() == f"ARG VERSION=stable\n{pinned}\n"
    assert run("pin", "--check", str(one)).code == EXIT_OK
    two = tmp_path / "two" / "Dockerfile"
    two.parent.mkdir()
    before = (
        f"ARG VERSION=1.27\nFROM {host}/library/nginx:$VERSION AS a\n"
        f"FROM {host}/library/nginx:${{VERSION}} AS b\n"
    )
    two.write_text(before)
    shared = run("pin", str(two))
    assert shared.code == EXIT_INCOMPLETE and two.read_text() == before
    assert "ARG VERSION supplies part of" in shared.err and "Dockerfile:3:" in shared.err
    assert run("pin", "--check", str(two)).code == EXIT_INCOMPLETE


def test_compose_defaults_hold_the_digest(
    plain: Seeded, nginx: dict[str, str], tmp_path: Path, run: Run
) -> None:
    """``nginx:${TAG:-1.27}`` becomes ``nginx:${TAG:-1.27@sha256:…}`` (setting TAG still
    works), ``${IMAGE:-nginx:1.27}`` gets the digest inside its default, ``${TAG-…}`` too; a
    variable without a default cannot be known: the run cannot tell (3)."""
    host = plain.host
    compose = tmp_path / "compose.yaml"
    compose.write_text(
        "services:\n"
        f"  a:\n    image: {host}/library/nginx:${{TAG:-1.27}}\n"
        f'  b:\n    image: "${{IMAGE:-{host}/library/nginx:1.27.3}}"\n'
        f"  c:\n    image: {host}/library/nginx:${{TAG-stable}}\n"
        "  d:\n    image: ${REGISTRY:-" + host + "}/library/nginx:latest\n"
    )
    result = run("pin", str(compose))
    assert result.code == EXIT_OK, result.err
    assert compose.read_text() == (
        "services:\n"
        f"  a:\n    image: {host}/library/nginx:${{TAG:-1.27@{nginx['1.27']}}}\n"
        f'  b:\n    image: "${{IMAGE:-{host}/library/nginx:1.27.3@{nginx["1.27.3"]}}}"\n'
        f"  c:\n    image: {host}/library/nginx:${{TAG-stable@{nginx['stable']}}}\n"
        "  d:\n    image: ${REGISTRY:-" + host + f"}}/library/nginx:latest@{nginx['latest']}\n"
    )
    assert yaml.safe_load(compose.read_text())["services"]["a"]["image"].endswith("}")
    assert run("pin", "--check", str(compose)).code == EXIT_OK
    unknown = tmp_path / "unknown" / "compose.yaml"
    unknown.parent.mkdir()
    unknown.write_text(f"services:\n  a:\n    image: {host}/library/nginx:${{TAG}}\n")
    check = run("pin", "--check", str(unknown))
    assert check.code == EXIT_INCOMPLETE and "no default" in check.err


def _chart(root: Path, values: str, template: str, app: str = "1.27") -> Path:
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: web\nversion: 0.1.0\nappVersion: {app}\n"
    )
    (root / "values.yaml").write_text(values)
    (root / "templates" / "deployment.yaml").write_text(template)
    return root / "values.yaml"


TEMPLATE = (
    "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
    '        - image: "{{ .Values.image.repository }}:'
    '{{ .Values.image.tag | default .Chart.AppVersion }}"\n'
)


def test_helm_values_digest_key_tag_key_and_app_version(
    plain: Seeded, nginx: dict[str, str], tmp_path: Path, run: Run
) -> None:
    """A mapping with ``digest:`` gets the digest there (bitnami's shape, registry joined);
    one without gets ``tag: "1.27@sha256:…"`` (quotes kept); an empty tag is the chart's
    appVersion where its template says so, and cannot be known where it does not."""
    host = plain.host
    values = _chart(
        tmp_path / "web",
        f'image:\n  registry: {host}\n  repository: library/nginx\n  tag: ""\n'
        "sidecar:\n"
        f"  image:\n    registry: {host}\n    repository: library/nginx\n    tag: 1.27.3\n"
        '    digest: ""\n'
        f"  other:\n    image:\n      repository: {host}/library/nginx\n      tag: ''\n",
        TEMPLATE.replace(
            ".Values.image.repository", ".Values.image.registry }}/{{ .Values.image.repository"
        ),
    )
    result = run("pin", str(tmp_path / "web"))
    assert result.code == EXIT_INCOMPLETE, result.err  # sidecar.other's tag cannot be known
    assert values.read_text().splitlines() == [
        "image:",
        f"  registry: {host}",
        "  repository: library/nginx",
        f'  tag: "1.27@{nginx["1.27"]}"',  # the appVersion, as the template defaults to it
        "sidecar:",
        "  image:",
        f"    registry: {host}",
        "    repository: library/nginx",
        "    tag: 1.27.3",
        f'    digest: "{nginx["1.27.3"]}"',
        "  other:",
        "    image:",
        f"      repository: {host}/library/nginx",
        "      tag: ''",  # no template says sidecar.other.image.tag defaults to appVersion
    ]
    assert "values.yaml:13:" in result.err and "empty tag" in result.err
    assert "web/templates: Helm templates are not read" in result.err
    assert "Traceback" not in result.err


def test_helm_templates_are_never_read_or_counted(
    plain: Seeded, nginx: dict[str, str], tmp_path: Path, run: Run
) -> None:
    """A chart's templates are named once in a note, never read as manifests, never counted
    unpinned, never an error: named explicitly or met in the walk."""
    host = plain.host
    _chart(
        tmp_path / "web",
        f"image:\n  repository: {host}/library/nginx\n  tag: 1.27\n",
        TEMPLATE,
    )
    (tmp_path / "web" / "templates" / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - image: {{ .Values.x }}\n"
    )
    result = run("pin", str(tmp_path))
    assert result.code == EXIT_OK, result.err
    assert result.err.count("Helm templates are not read") == 1
    assert "warning" not in result.err
    assert run("pin", "--check", str(tmp_path)).code == EXIT_OK
    named = run("pin", "--check", str(tmp_path / "web" / "templates" / "pod.yaml"))
    assert named.code == EXIT_OK and "Helm templates are not read" in named.err
