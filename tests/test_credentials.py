"""Credentials from the places docker and podman users keep them, and where they may go."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from testkit.front import Front, Reply, Request
from testkit.registry import RegistryProcess, TLSFiles, TokenAuth
from testkit.seed import seed_fluentd
from testkit.tokenserver import TokenPolicy

from conftest import (
    PASSWORD,
    USER,
    CliRun,
    Seeded,
    TokenSetup,
    admin_pusher,
    run_process,
    token_registry,
)
from whichtag import Credentials, Options, find_same_tags_sync
from whichtag.answer.connect import registry_urls
from whichtag.auth.sources import (
    HelperFailed,
    candidate_scopes,
    default_files,
    find_credentials,
    normalise_key,
    run_helper,
)
from whichtag.errors import EXIT_ERROR, EXIT_OK, SecurityError
from whichtag.names.reference import parse_reference

Run = Callable[..., CliRun]
ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]
REFRESH_TOKEN = "refresh-canary-9f8e7d"


def _auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def _docker_config(document: dict[str, object]) -> Path:
    directory = Path(os.environ["DOCKER_CONFIG"])
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.json"
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def helper_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory on PATH for docker-credential-* helpers written by the tests."""
    directory = tmp_path / "bin"
    directory.mkdir()
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ['PATH']}")
    return directory


def _write_helper(directory: Path, name: str, answers: dict[str, tuple[str, str]]) -> Path:
    """A helper speaking the real protocol: server URL on stdin, JSON on stdout; it logs
    each server URL it was asked about to <name>.log."""
    log = directory / f"{name}.log"
    script = directory / f"docker-credential-{name}"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"answers = {answers!r}\n"
        "assert sys.argv[1:] == ['get'], sys.argv\n"
        "server = sys.stdin.read().strip()\n"
        f"open({str(log)!r}, 'a').write(server + '\\n')\n"
        "if server not in answers:\n"
        "    print('credentials not found in native keychain'); sys.exit(1)\n"
        "user, secret = answers[server]\n"
        "print(json.dumps({'ServerURL': server, 'Username': user, 'Secret': secret}))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return log


def _token_requests(setup: TokenSetup) -> int:
    assert setup.server is not None
    return len(setup.server.requests)


def test_key_normalisation() -> None:
    for key in [
        "https://index.docker.io/v1/",
        "index.docker.io",
        "docker.io",
        "registry-1.docker.io",
    ]:
        assert normalise_key(key) == ("docker.io", "")
    assert normalise_key("https://host:5000/") == ("host:5000", "")
    assert normalise_key("http://host") == ("host", "")
    assert normalise_key("quay.io/org/repo") == ("quay.io", "org/repo")
    assert candidate_scopes("quay.io", "org/repo") == [
        ("quay.io", "org/repo"),
        ("quay.io", "org"),
        ("quay.io", ""),
    ]


def test_config_json_auths(token_private: TokenSetup, run: Run) -> None:
    _docker_config({"auths": {token_private.host: {"auth": _auth(USER, PASSWORD)}}})
    result = run(f"{token_private.host}/fluent/fluentd:latest", "--json", "--debug")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES
    assert "credentials: using docker config.json" in result.err
    assert PASSWORD not in result.out + result.err
    assert _auth(USER, PASSWORD) not in result.err


def test_config_json_with_scheme_key_and_htpasswd(htpasswd: Seeded, run: Run) -> None:
    _docker_config({"auths": {f"http://{htpasswd.host}/": {"auth": _auth(USER, PASSWORD)}}})
    result = run(f"{htpasswd.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_OK, result.err


def test_path_scoped_keys(token_private: TokenSetup, run: Run) -> None:
    host = token_private.host
    _docker_config({"auths": {f"{host}/other-repo": {"auth": _auth(USER, PASSWORD)}}})
    assert run(f"{host}/fluent/fluentd:latest").code == EXIT_ERROR
    _docker_config({"auths": {f"{host}/fluent": {"auth": _auth(USER, PASSWORD)}}})
    assert run(f"{host}/fluent/fluentd:latest").code == EXIT_OK


def test_host_matching_is_exact(token_private: TokenSetup, run: Run) -> None:
    host = token_private.host
    _docker_config(
        {
            "auths": {
                f"{host}.evil.com": {"auth": _auth(USER, PASSWORD)},
                f"evil-{host}": {"auth": _auth(USER, PASSWORD)},
                host.split(":")[0]: {"auth": _auth(USER, PASSWORD)},  # same host, no port
            }
        }
    )
    before = _token_requests(token_private)
    result = run(f"{host}/fluent/fluentd:latest")
    assert result.code == EXIT_ERROR
    assert "authentication required" in result.err
    assert token_private.server is not None
    assert all(r.authorization is None for r in token_private.server.requests[before:])


def test_cred_helper(token_private: TokenSetup, helper_dir: Path, run: Run) -> None:
    log = _write_helper(helper_dir, "wtest", {token_private.host: (USER, PASSWORD)})
    _docker_config({"credHelpers": {token_private.host: "wtest"}})
    result = run(f"{token_private.host}/fluent/fluentd:latest", "--json", "--debug")
    assert result.code == EXIT_OK, result.err
    assert log.read_text().splitlines() == [token_private.host]
    assert "credential helper docker-credential-wtest" in result.err
    assert PASSWORD not in result.out + result.err


def test_creds_store(token_private: TokenSetup, helper_dir: Path, run: Run) -> None:
    _write_helper(helper_dir, "wstore", {token_private.host: (USER, PASSWORD)})
    _docker_config({"credsStore": "wstore", "auths": {token_private.host: {}}})
    result = run(f"{token_private.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES


def test_helper_not_found_means_anonymous(
    token_anonymous: TokenSetup, helper_dir: Path, run: Run
) -> None:
    _write_helper(helper_dir, "wempty", {})
    _docker_config({"credsStore": "wempty"})
    result = run(f"{token_anonymous.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_OK, result.err
    assert "warning" not in result.err


def test_missing_helper_never_falls_back_to_other_credentials(
    token_private: TokenSetup, helper_dir: Path, run: Run
) -> None:
    _docker_config(
        {
            "credHelpers": {token_private.host: "not-installed"},
            "auths": {token_private.host: {"auth": _auth(USER, PASSWORD)}},
        }
    )
    before = _token_requests(token_private)
    result = run(f"{token_private.host}/fluent/fluentd:latest")
    assert result.code == EXIT_ERROR
    assert result.err.count("docker-credential-not-installed not found on PATH") == 1
    assert "helper docker-credential-not-installed failed" in result.err
    assert token_private.server is not None
    assert all(r.authorization is None for r in token_private.server.requests[before:])


def test_identity_token_uses_oauth2_refresh(tmp_path: Path, helper_dir: Path, run: Run) -> None:
    policy = TokenPolicy(anonymous_pull=False, refresh_tokens={REFRESH_TOKEN: USER})
    server, registry = token_registry(str(tmp_path), policy)
    try:
        seed_fluentd(admin_pusher(server, registry, ["fluent/fluentd"]))
        _write_helper(helper_dir, "wtoken", {registry.host: ("<token>", REFRESH_TOKEN)})
        _docker_config({"credHelpers": {registry.host: "wtoken"}})
        result = run(f"{registry.host}/fluent/fluentd:latest", "--json", "--debug")
        assert result.code == EXIT_OK, result.err
        [request] = server.requests
        assert request.method == "POST"
        assert request.form["grant_type"] == "refresh_token"
        assert request.form["refresh_token"] == REFRESH_TOKEN
        assert request.form["service"] == server.service
        assert REFRESH_TOKEN not in result.out + result.err
    finally:
        registry.stop()
        server.stop()


@pytest.mark.parametrize("refusal", [400, 401, 404, 405])
def test_identity_token_in_auths_falls_back_to_get_without_post(
    tmp_path: Path, run: Run, refusal: int
) -> None:
    """containerd's rule: a token service answering the refresh POST 400/401 (Artifactory,
    ACR) or 404/405 has no OAuth2 endpoint; the identity token goes in the GET instead."""
    policy = TokenPolicy(
        anonymous_pull=False,
        support_post=False,
        post_refusal=refusal,
        users={"<token>": REFRESH_TOKEN},
    )
    server, registry = token_registry(str(tmp_path), policy)
    try:
        seed_fluentd(admin_pusher(server, registry, ["fluent/fluentd"]))
        _docker_config({"auths": {registry.host: {"identitytoken": REFRESH_TOKEN}}})
        result = run(f"{registry.host}/fluent/fluentd:latest", "--json")
        assert result.code == EXIT_OK, result.err
        assert [r.method for r in server.requests] == ["POST", "GET"]
    finally:
        registry.stop()
        server.stop()


def test_password_grant_where_the_token_service_has_no_get(tmp_path: Path, run: Run) -> None:
    policy = TokenPolicy(anonymous_pull=False, support_get=False, users={USER: PASSWORD})
    server, registry = token_registry(str(tmp_path), policy)
    try:
        seed_fluentd(admin_pusher(server, registry, ["fluent/fluentd"]))
        reference = f"{registry.host}/fluent/fluentd:latest"
        result = run(reference, "--json", "-u", USER, "--password-stdin", stdin=PASSWORD + "\n")
        assert result.code == EXIT_OK, result.err
        assert [r.method for r in server.requests] == ["GET", "POST"]
        assert server.requests[1].form["grant_type"] == "password"
        assert server.requests[1].form["username"] == USER
    finally:
        registry.stop()
        server.stop()


@pytest.mark.parametrize("content", ["", "{not json", "\ufeff{}", "[]"])
def test_broken_config_files(token_anonymous: TokenSetup, run: Run, content: str) -> None:
    directory = Path(os.environ["DOCKER_CONFIG"])
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(content)
    result = run(f"{token_anonymous.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_OK, result.err
    assert "Traceback" not in result.err


def test_invalid_auth_entries_are_skipped(token_anonymous: TokenSetup, run: Run) -> None:
    _docker_config({"auths": {token_anonymous.host: {"auth": "!!!not-base64"}}})
    assert run(f"{token_anonymous.host}/fluent/fluentd:latest").code == EXIT_OK
    _docker_config({"auths": {token_anonymous.host: {"auth": _auth("nocolon", "")[:-4]}}})
    assert run(f"{token_anonymous.host}/fluent/fluentd:latest").code == EXIT_OK


@pytest.fixture
def podman_auth_file(htpasswd: Seeded, tmp_path: Path) -> Iterator[Path]:
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed (scripts/setup.sh installs it)")
    path = tmp_path / "podman-auth.json"
    completed = subprocess.run(
        [
            "podman",
            "login",
            "--authfile",
            str(path),
            "--tls-verify=false",
            "-u",
            USER,
            "--password-stdin",
            htpasswd.host,
        ],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    yield path


def test_podman_login_auth_file(
    htpasswd: Seeded, podman_auth_file: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(podman_auth_file))
    result = run(f"{htpasswd.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_OK, result.err
    # The same file in the default containers location is found too.
    monkeypatch.delenv("REGISTRY_AUTH_FILE")
    runtime = Path(os.environ["HOME"], "runtime")
    (runtime / "containers").mkdir(parents=True)
    shutil.copy(podman_auth_file, runtime / "containers" / "auth.json")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    assert run(f"{htpasswd.host}/fluent/fluentd:latest").code == EXIT_OK
    assert run(f"{htpasswd.host}/fluent/fluentd:latest", "--no-creds").code == EXIT_ERROR


def test_auth_json_wins_over_docker_config(
    htpasswd: Seeded, tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth_file = tmp_path / "auth.json"
    auth_file.write_text(json.dumps({"auths": {htpasswd.host: {"auth": _auth(USER, PASSWORD)}}}))
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(auth_file))
    _docker_config({"auths": {htpasswd.host: {"auth": _auth(USER, "wrong")}}})
    assert run(f"{htpasswd.host}/fluent/fluentd:latest").code == EXIT_OK


def test_token_renewed_during_a_long_scan(tmp_path: Path) -> None:
    policy = TokenPolicy(users={USER: PASSWORD}, anonymous_pull=False, expires_in=1)
    server, registry = token_registry(str(tmp_path), policy)

    def slow_heads(request: Request) -> Reply | None:
        if request.method == "HEAD":
            time.sleep(0.25)
        return None

    try:
        seed_fluentd(admin_pusher(server, registry, ["fluent/fluentd"]))
        with Front(registry.host, override=slow_heads) as front:
            options = Options(
                credentials=Credentials(USER, PASSWORD), concurrency=1, use_credential_files=False
            )
            result = find_same_tags_sync(f"{front.host}/fluent/fluentd:latest", options)
        assert result.complete and result.tags == ALIASES
        tokens = [r for r in server.requests if r.method == "GET"]
        assert len(tokens) >= 3  # ~3.5 s of scanning with 1 s tokens renewed early
    finally:
        registry.stop()
        server.stop()


def test_plain_http_realm_for_https_registry_is_refused(
    ca: object, tmp_path: Path, run: Run
) -> None:
    import trustme

    assert isinstance(ca, trustme.CA)
    cert = ca.issue_cert("127.0.0.1")
    cert_path, key_path, ca_path = tmp_path / "c.pem", tmp_path / "k.pem", tmp_path / "ca.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_path))
    cert.private_key_pem.write_to_path(str(key_path))
    ca.cert_pem.write_to_path(str(ca_path))
    policy = TokenPolicy(users={USER: PASSWORD})
    from testkit.tokenserver import TokenServer

    server = TokenServer(str(tmp_path), policy).start()
    token = TokenAuth(server.realm, server.service, server.issuer, server.root_cert_bundle)
    with RegistryProcess(tls=TLSFiles(str(cert_path), str(key_path)), token=token) as registry:
        result = run(
            f"{registry.host}/fluent/fluentd:latest",
            "--ca-cert",
            str(ca_path),
            "-u",
            USER,
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        with pytest.raises(SecurityError):
            find_same_tags_sync(
                f"{registry.host}/fluent/fluentd:latest",
                Options(credentials=Credentials(USER, PASSWORD), ca_cert=str(ca_path)),
            )
    server.stop()
    assert result.code == EXIT_ERROR
    assert "plain-HTTP token realm" in result.err
    assert server.requests == []


def test_credentials_never_in_repr() -> None:
    credentials = Credentials("bob", "canary-password-123")
    assert "canary-password-123" not in repr(credentials)
    assert "canary-password-123" not in str(credentials)
    token = Credentials("<token>", identity_token="canary-token-456")
    assert "canary-token-456" not in repr(token)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("print('not json')", "invalid JSON"),
        ("sys.stdout.write('x' * (2 * 1024 * 1024))", "too much output"),
        ("sys.exit(3)", "exited with status 3"),
        ("print('[]')", "not an object"),
    ],
)
def test_broken_helpers_fail_cleanly(helper_dir: Path, body: str, why: str) -> None:
    script = helper_dir / "docker-credential-broken"
    script.write_text(f"#!{sys.executable}\nimport sys\nsys.stdin.read()\n{body}\n")
    script.chmod(0o755)
    with pytest.raises(HelperFailed, match=why):
        run_helper("broken", "reg.example")


def test_scheme_choice() -> None:
    assert registry_urls(parse_reference("ghcr.io/org/app"), Options()) == ["https://ghcr.io"]
    assert registry_urls(parse_reference("nginx"), Options()) == ["https://registry-1.docker.io"]
    assert registry_urls(parse_reference("localhost:5000/a"), Options()) == [
        "https://localhost:5000",
        "http://localhost:5000",
    ]
    assert registry_urls(parse_reference("127.0.0.1:5000/a"), Options())[-1].startswith("http:")
    assert registry_urls(parse_reference("10.0.0.5:5000/a"), Options()) == ["https://10.0.0.5:5000"]
    assert registry_urls(parse_reference("reg.example/a"), Options(plain_http=True)) == [
        "http://reg.example"
    ]


# -- Docker's and podman's lookup rules, as tables of keys -> chosen entry ---------------------


def _chosen(
    document: Mapping[str, object], registry: str, repository: str, tmp: Path
) -> str | None:
    """The user name of the entry whichtag picks from a config file holding ``document``."""
    path = tmp / f"config-{abs(hash(json.dumps(document)))}.json"
    path.write_text(json.dumps(document))
    found = find_credentials(registry, repository, files=[("test", path)])
    return found.credentials.username if found.credentials else None


def _entries(*keys: str) -> dict[str, object]:
    """``auths`` entries whose user name is the key (``:`` spelled ``|``), so the choice shows."""
    return {"auths": {key: {"auth": _auth(key.replace(":", "|"), "pw")} for key in keys}}


@pytest.mark.parametrize(
    ("keys", "registry", "repository", "chosen"),
    [
        # a key with a scheme names the whole host: its path is dropped
        (["https://reg.example/v1/"], "reg.example", "any/repo", "https://reg.example/v1/"),
        (["http://reg.example:5000/v2/"], "reg.example:5000", "a", "http://reg.example:5000/v2/"),
        (["https://reg.example/org"], "reg.example", "other/repo", "https://reg.example/org"),
        # only a scheme-less key is path-scoped, most specific first
        (["reg.example/org"], "reg.example", "other/repo", None),
        (["reg.example/org", "reg.example"], "reg.example", "org/app", "reg.example/org"),
        (["reg.example", "reg.example/org/app"], "reg.example", "org/app", "reg.example/org/app"),
        # hosts match exactly: no prefix, no other port
        (["reg.example.evil", "evil-reg.example"], "reg.example", "a", None),
        (["reg.example"], "reg.example:5000", "a", None),
        # Docker Hub: exact docker.io first, then Docker's own key, then the rest by name
        (
            ["registry-1.docker.io", "https://index.docker.io/v1/", "docker.io", "index.docker.io"],
            "docker.io",
            "library/nginx",
            "docker.io",
        ),
        (
            ["registry-1.docker.io", "index.docker.io", "https://index.docker.io/v1/"],
            "docker.io",
            "library/nginx",
            "https://index.docker.io/v1/",
        ),
        (["registry-1.docker.io", "index.docker.io"], "docker.io", "a/b", "index.docker.io"),
        (["index.docker.io", "registry-1.docker.io"], "docker.io", "a/b", "index.docker.io"),
    ],
)
def test_auths_key_choice(
    tmp_path: Path, keys: list[str], registry: str, repository: str, chosen: str | None
) -> None:
    user = chosen.replace(":", "|") if chosen else None
    assert _chosen(_entries(*keys), registry, repository, tmp_path) == user
    # never file order: the same keys in the opposite order choose the same entry
    assert _chosen(_entries(*reversed(keys)), registry, repository, tmp_path) == user


def test_key_forms() -> None:
    assert normalise_key("https://quay.io/org/repo") == ("quay.io", "")
    assert normalise_key("http://host:5000/v2/") == ("host:5000", "")
    assert normalise_key("quay.io/org/repo/") == ("quay.io", "org/repo")
    assert normalise_key("docker.io/library") == ("docker.io", "library")


def test_docker_order_helper_then_store_then_auths(tmp_path: Path, helper_dir: Path) -> None:
    log = _write_helper(helper_dir, "wstore", {"reg.example": ("from-store", "pw")})
    _write_helper(helper_dir, "whelp", {"reg.example": ("from-helper", "pw")})
    auths = {"reg.example": {"auth": _auth("from-auths", "pw")}}
    store_and_auths = {"credsStore": "wstore", "auths": auths}
    assert _chosen(store_and_auths, "reg.example", "a", tmp_path) == "from-store"
    everything = {**store_and_auths, "credHelpers": {"reg.example": "whelp"}}
    assert _chosen(everything, "reg.example", "a", tmp_path) == "from-helper"
    # a store with nothing for this host means anonymous, as docker's native store does
    assert _chosen(store_and_auths, "other.example", "a", tmp_path) is None
    assert log.read_text().splitlines() == ["reg.example", "other.example"]
    assert _chosen({"auths": auths}, "reg.example", "a", tmp_path) == "from-auths"


def test_podman_primary_auth_file_without_xdg_runtime_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    paths = [str(path) for _, path in default_files()]
    assert paths[0] == f"/run/containers/{os.getuid()}/auth.json"
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/1000")
    assert str(default_files()[0][1]) == "/run/user/1000/containers/auth.json"


# -- credential files and helpers a user (or an attacker) can make huge or hang ----------------


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "huge", "directory"])
def test_credential_files_that_are_not_small_regular_files(
    token_anonymous: TokenSetup, kind: str
) -> None:
    path = Path(os.environ["DOCKER_CONFIG"]) / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "huge":
        with path.open("wb") as handle:
            handle.truncate(1024**3)  # 1 GiB, sparse
    else:
        path.mkdir()
    result = run_process(f"{token_anonymous.host}/fluent/fluentd:latest", "-q")
    assert result.code == EXIT_OK, result.err
    assert f"docker config.json {path}" in result.err and "ignored" in result.err
    assert "Traceback" not in result.err and "MemoryError" not in result.err
    assert result.seconds < 20


def test_helper_flooding_its_output_is_stopped_at_the_cap(helper_dir: Path) -> None:
    script = helper_dir / "docker-credential-flood"
    script.write_text(
        f"#!{sys.executable}\nimport sys\nsys.stdin.read()\n"
        "while True:\n    sys.stdout.write('x' * 65536)\n"
    )
    script.chmod(0o755)
    start = time.monotonic()
    with pytest.raises(HelperFailed, match="too much output"):
        run_helper("flood", "reg.example")
    assert time.monotonic() - start < 10


def test_hanging_helper_is_killed_at_the_run_deadline(
    token_anonymous: TokenSetup, helper_dir: Path
) -> None:
    script = helper_dir / "docker-credential-hang"
    script.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(120)\n")
    script.chmod(0o755)
    _docker_config({"credHelpers": {token_anonymous.host: "hang"}})
    result = run_process(f"{token_anonymous.host}/fluent/fluentd:latest", "--timeout", "2")
    assert result.seconds < 15, result.err
    assert result.code == EXIT_ERROR
    assert "gave up after 2 s" in result.err
    assert "Traceback" not in result.err
