"""Where credentials come from: the files and helpers docker and podman users already have.

Order, first match wins (podman's order; docker reads only the last file):

1. explicit ``--username`` + ``--password-stdin`` (handled by the caller);
2. ``$REGISTRY_AUTH_FILE`` if set, else the containers ``auth.json``
   (``$XDG_RUNTIME_DIR/containers/auth.json``, then ``~/.config/containers/auth.json``);
3. docker's ``config.json`` (``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``);
4. anonymous.

Within one file: ``credHelpers[host]``, then an ``auths`` entry that holds credentials, then
``credsStore``. ``auths`` keys match the registry exactly (scheme and trailing slash ignored);
a key with a path (``quay.io/org``) applies only to repositories under that path, the most
specific key first. Docker Hub's keys (``https://index.docker.io/v1/``, ``index.docker.io``,
``docker.io``, ``registry-1.docker.io``) all mean Docker Hub.

A configured helper that is missing or fails is reported once and whichtag goes on
anonymously: it never falls back to other credentials (CVE-2021-41092).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whichtag.auth.credentials import Credentials
from whichtag.reference import DOCKER_HUB

HUB_HOSTS = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
HUB_SERVER_URL = "https://index.docker.io/v1/"
MAX_CONFIG_BYTES = 4 * 1024 * 1024
MAX_HELPER_OUTPUT = 1024 * 1024
HELPER_TIMEOUT = 30.0

Report = Callable[[str], None]


@dataclass
class Lookup:
    """The outcome of a credential search: credentials (or None), and a failed helper if any."""

    credentials: Credentials | None = None
    failed_helper: str | None = None


def normalise_key(key: str) -> tuple[str, str]:
    """``(host, path)`` of an ``auths``/``credHelpers`` key, Docker Hub's variants folded."""
    text = key.strip()
    for scheme in ("https://", "http://"):
        if text.lower().startswith(scheme):
            text = text[len(scheme) :]
            break
    text = text.rstrip("/")
    host, _, path = text.partition("/")
    host = host.lower()
    if host in HUB_HOSTS:
        host = DOCKER_HUB
        if path in ("v1", "v2"):
            path = ""
    return host, path


def candidate_scopes(registry: str, repository: str) -> list[tuple[str, str]]:
    """``(host, path)`` keys that may apply to ``registry/repository``, most specific first."""
    host = registry.lower()
    parts = repository.split("/")
    scopes = [(host, "/".join(parts[:length])) for length in range(len(parts), 0, -1)]
    scopes.append((host, ""))
    return scopes


def default_files() -> list[tuple[str, Path]]:
    """The credential files to read, in order, each with a label for messages."""
    files: list[tuple[str, Path]] = []
    explicit = os.environ.get("REGISTRY_AUTH_FILE")
    if explicit:
        files.append(("REGISTRY_AUTH_FILE", Path(explicit)))
    else:
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        if runtime:
            files.append(("containers auth.json", Path(runtime, "containers", "auth.json")))
        config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(
            os.path.expanduser("~"), ".config"
        )
        files.append(("containers auth.json", Path(config_home, "containers", "auth.json")))
    docker_dir = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    files.append(("docker config.json", Path(docker_dir, "config.json")))
    return files


def _load(path: Path, label: str, report: Report) -> dict[str, Any] | None:
    try:
        raw = path.read_bytes()[: MAX_CONFIG_BYTES + 1]
    except FileNotFoundError:
        return None
    except OSError as error:
        report(f"cannot read {label} {path}: {error.strerror}; ignored")
        return None
    if len(raw) > MAX_CONFIG_BYTES:
        report(f"{label} {path} is too large; ignored")
        return None
    try:
        document = json.loads(raw.decode("utf-8-sig") or "{}")
    except (UnicodeDecodeError, ValueError, RecursionError):
        report(f"{label} {path} is not valid JSON; ignored")
        return None
    if not isinstance(document, dict):
        report(f"{label} {path} is not a JSON object; ignored")
        return None
    return document


def _decode_entry(entry: object, source: str) -> Credentials | None:
    """Credentials from one ``auths`` entry, or None (empty, or unusable as docker skips it)."""
    if not isinstance(entry, dict):
        return None
    identity = entry.get("identitytoken")
    username, password = "", ""
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded:
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, sep, password = decoded.partition(":")
        if not sep:
            return None
        password = password.rstrip("\x00")
    elif isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
        username, password = entry["username"], entry["password"]
    if isinstance(identity, str) and identity:
        return Credentials(username=username, identity_token=identity, source=source)
    if username and password:
        return Credentials(username=username, password=password, source=source)
    return None


def run_helper(name: str, server_url: str) -> Credentials | None:
    """``docker-credential-<name> get``; None when it has no credentials for ``server_url``.

    Raises :class:`HelperFailed` when the helper is missing, hangs or answers garbage.
    """
    program = f"docker-credential-{name}"
    path = shutil.which(program)
    if path is None:
        raise HelperFailed(program, "not found on PATH")
    try:
        completed = subprocess.run(
            [path, "get"],
            input=server_url.encode(),
            capture_output=True,
            timeout=HELPER_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise HelperFailed(program, f"did not answer within {HELPER_TIMEOUT:g} s") from None
    except OSError as error:
        raise HelperFailed(program, f"could not run ({error.strerror})") from None
    output = completed.stdout[: MAX_HELPER_OUTPUT + 1]
    if completed.returncode != 0:
        if b"credentials not found" in output.lower() or b"credentials not found" in (
            completed.stderr.lower()
        ):
            return None
        raise HelperFailed(program, f"exited with status {completed.returncode}")
    if len(output) > MAX_HELPER_OUTPUT:
        raise HelperFailed(program, "answered with too much output")
    try:
        document = json.loads(output.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise HelperFailed(program, "answered with invalid JSON") from None
    if not isinstance(document, dict):
        raise HelperFailed(program, "answered with JSON that is not an object")
    username, secret = document.get("Username"), document.get("Secret")
    if not isinstance(username, str) or not isinstance(secret, str) or not secret:
        return None
    source = f"credential helper {program}"
    if username == "<token>":
        return Credentials(username="<token>", identity_token=secret, source=source)
    return Credentials(username=username, password=secret, source=source)


class HelperFailed(Exception):
    """A configured credential helper could not be used."""

    def __init__(self, program: str, why: str) -> None:
        super().__init__(f"{program} {why}")
        self.program = program


def _server_url(registry: str) -> str:
    return HUB_SERVER_URL if registry == DOCKER_HUB else registry


def _from_document(
    document: dict[str, Any],
    label: str,
    registry: str,
    repository: str,
    report: Report,
    trace: Report,
) -> Lookup | None:
    """Search one file; None means "nothing here, try the next file"."""
    scopes = candidate_scopes(registry, repository)
    helpers = document.get("credHelpers")
    if isinstance(helpers, dict):
        for key, name in helpers.items():
            if isinstance(name, str) and name and normalise_key(key) == (registry.lower(), ""):
                return _ask_helper(name, registry, f"credHelpers in {label}", report, trace)
    auths = document.get("auths")
    if isinstance(auths, dict):
        by_scope: dict[tuple[str, str], object] = {}
        for key, entry in auths.items():
            if isinstance(key, str):
                by_scope.setdefault(normalise_key(key), entry)
        for scope in scopes:
            if scope in by_scope:
                where = scope[0] + (f"/{scope[1]}" if scope[1] else "")
                credentials = _decode_entry(by_scope[scope], f"{label} auths[{where}]")
                if credentials is not None:
                    return Lookup(credentials)
    store = document.get("credsStore")
    if isinstance(store, str) and store:
        return _ask_helper(store, registry, f"credsStore in {label}", report, trace)
    return None


def _ask_helper(name: str, registry: str, where: str, report: Report, trace: Report) -> Lookup:
    try:
        credentials = run_helper(name, _server_url(registry))
    except HelperFailed as failure:
        report(f"credential helper {failure} ({where}); continuing without credentials")
        return Lookup(None, failed_helper=failure.program)
    if credentials is None:
        trace(f"credentials: docker-credential-{name} has none for {registry}")
    return Lookup(credentials)


def find_credentials(
    registry: str,
    repository: str,
    *,
    report: Report | None = None,
    debug: Report | None = None,
    files: list[tuple[str, Path]] | None = None,
) -> Lookup:
    """Search the credential files for ``registry`` (host[:port] as in the reference)."""
    warn = report or (lambda line: None)
    trace = debug or (lambda line: None)
    for label, path in files if files is not None else default_files():
        document = _load(path, label, warn)
        if document is None:
            trace(f"credentials: {label} {path}: none")
            continue
        found = _from_document(document, f"{label} {path}", registry, repository, warn, trace)
        if found is None:
            trace(f"credentials: {label} {path}: no entry for {registry}")
            continue
        if found.credentials is not None:
            trace(f"credentials: using {found.credentials.source}")
        return found
    trace("credentials: none found; anonymous")
    return Lookup()
