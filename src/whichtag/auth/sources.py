"""Where credentials come from: the files and helpers docker and podman users already have.

Order, first match wins (podman's order; docker reads only the last file):

1. explicit ``--username`` + ``--password-stdin`` (handled by the caller);
2. ``$REGISTRY_AUTH_FILE`` if set, else the containers ``auth.json``
   (``$XDG_RUNTIME_DIR/containers/auth.json``, or ``/run/containers/$UID/auth.json`` where
   XDG_RUNTIME_DIR is unset on Linux; then ``~/.config/containers/auth.json``);
3. docker's ``config.json`` (``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``);
4. anonymous.

Within one file, Docker's order (docker/cli ``GetCredentialsStore``): ``credHelpers[host]``,
else ``credsStore`` when set, else an ``auths`` entry. A key with a scheme
(``https://host/v1/``) means the whole host: the scheme and everything from the first ``/``
are dropped (docker/cli ``ConvertToHostname``, containers/image ``normalizeAuthFileKey``). Only
a scheme-less key with a path (``quay.io/org``) is path-scoped, the most specific key first.
Docker Hub's keys (``https://index.docker.io/v1/``, ``index.docker.io``, ``docker.io``,
``registry-1.docker.io``) all mean Docker Hub; where several keys mean the same place, the
exact spelling wins (``docker.io`` first, as podman), then the others in a fixed order.

Files are read only when they are regular files under a size cap (a FIFO or ``/dev/zero``
is reported, never read); helpers' output is capped while it streams, and a helper is killed
at its own time limit or the run's deadline, whichever comes first.

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
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whichtag.auth.credentials import Credentials
from whichtag.files.guarded import read_regular_file
from whichtag.names.reference import DOCKER_HUB

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
    """``(host, path)`` of an ``auths``/``credHelpers`` key, Docker Hub's variants folded.

    A key with a scheme names a whole host (everything from the first ``/`` dropped);
    only a scheme-less key keeps its path.
    """
    text = key.strip()
    had_scheme = False
    for scheme in ("https://", "http://"):
        if text.lower().startswith(scheme):
            text = text[len(scheme) :]
            had_scheme = True
            break
    host, _, path = text.partition("/")
    path = "" if had_scheme else path.rstrip("/")
    host = host.lower()
    if host in HUB_HOSTS:
        host = DOCKER_HUB
    return host, path


def _key_rank(key: str, scope: tuple[str, str]) -> tuple[int, str]:
    """Where several keys mean one place: the exact spelling first (``docker.io``, as podman
    prefers it), then Docker's own Hub key, then the rest by name: never file order."""
    exact = scope[0] + (f"/{scope[1]}" if scope[1] else "")
    if key == exact:
        return (0, key)
    if key == HUB_SERVER_URL:
        return (1, key)
    return (2, key)


def _entries_by_scope(table: dict[str, Any]) -> dict[tuple[str, str], list[tuple[str, Any]]]:
    """Keys of ``auths``/``credHelpers`` grouped by the place they mean, best key first."""
    grouped: dict[tuple[str, str], list[tuple[str, Any]]] = {}
    for key, value in table.items():
        if isinstance(key, str):
            grouped.setdefault(normalise_key(key), []).append((key, value))
    for scope, entries in grouped.items():
        entries.sort(key=lambda entry: _key_rank(entry[0], scope))
    return grouped


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
        elif sys.platform.startswith("linux"):
            # containers/image's default where XDG_RUNTIME_DIR is unset (rootful podman).
            primary = Path("/run/containers", str(os.getuid()), "auth.json")
            files.append(("containers auth.json", primary))
        config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(
            os.path.expanduser("~"), ".config"
        )
        files.append(("containers auth.json", Path(config_home, "containers", "auth.json")))
    docker_dir = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    files.append(("docker config.json", Path(docker_dir, "config.json")))
    return files


def _load(path: Path, label: str, report: Report) -> dict[str, Any] | None:
    try:
        raw = read_regular_file(path, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        return None
    except OSError as error:
        report(f"cannot read {label} {path}: {error.strerror}; ignored")
        return None
    except ValueError as why:
        report(f"{label} {path} {why}; ignored")
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


def run_helper(name: str, server_url: str, *, deadline: float | None = None) -> Credentials | None:
    """``docker-credential-<name> get``; None when it has no credentials for ``server_url``.

    Raises :class:`HelperFailed` when the helper is missing, hangs past its time limit (or
    the run's ``deadline``, a ``time.monotonic()`` value), says too much, or answers garbage.
    """
    program = f"docker-credential-{name}"
    path = shutil.which(program)
    if path is None:
        raise HelperFailed(program, "not found on PATH")
    limit = HELPER_TIMEOUT
    if deadline is not None:
        limit = max(0.0, min(limit, deadline - time.monotonic()))
    status, output, errors = _run_capped([path, "get"], server_url.encode(), limit, program)
    if status != 0:
        if b"credentials not found" in output.lower() or b"credentials not found" in (
            errors.lower()
        ):
            return None
        raise HelperFailed(program, f"exited with status {status}")
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


def _run_capped(
    command: list[str], stdin: bytes, limit: float, program: str
) -> tuple[int, bytes, bytes]:
    """Run ``command``: its exit status, stdout and stderr, each read with a cap as it
    streams; killed when a cap or ``limit`` seconds are passed."""
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as error:
        raise HelperFailed(program, f"could not run ({error.strerror})") from None
    assert process.stdin and process.stdout and process.stderr
    overflow = threading.Event()
    outputs = [bytearray(), bytearray()]

    def drain(stream: Any, into: bytearray) -> None:
        while chunk := stream.read1(65536):
            into += chunk
            if len(into) > MAX_HELPER_OUTPUT:
                overflow.set()
                process.kill()
                return

    readers = [
        threading.Thread(target=drain, args=(stream, into), daemon=True)
        for stream, into in zip((process.stdout, process.stderr), outputs, strict=True)
    ]
    for reader in readers:
        reader.start()
    try:
        process.stdin.write(stdin)
        process.stdin.close()
    except OSError:
        pass  # the helper exited without reading: its status says what happened
    try:
        status = process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise HelperFailed(program, f"did not answer within {limit:.3g} s; stopped") from None
    finally:
        for reader, stream in zip(readers, (process.stdout, process.stderr), strict=True):
            reader.join(timeout=1)
            if not reader.is_alive():  # else a grandchild holds the pipe: leave it be
                stream.close()
    if overflow.is_set():
        raise HelperFailed(program, "answered with too much output; stopped")
    return status, bytes(outputs[0]), bytes(outputs[1])


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
    context: _Context,
) -> Lookup | None:
    """Search one file in Docker's order; None means "nothing here, try the next file"."""
    host = registry.lower()
    helpers = document.get("credHelpers")
    if isinstance(helpers, dict):
        for _key, name in _entries_by_scope(helpers).get((host, ""), []):
            if isinstance(name, str) and name:
                return _ask_helper(name, registry, f"credHelpers in {label}", context)
    store = document.get("credsStore")
    if isinstance(store, str) and store:
        return _ask_helper(store, registry, f"credsStore in {label}", context)
    auths = document.get("auths")
    if isinstance(auths, dict):
        by_scope = _entries_by_scope(auths)
        for scope in candidate_scopes(registry, repository):
            for key, entry in by_scope.get(scope, []):
                credentials = _decode_entry(entry, f"{label} auths[{key[:200]}]")
                if credentials is not None:
                    return Lookup(credentials)
    return None


@dataclass
class _Context:
    """What a search passes down: where to report, where to trace, when to stop."""

    report: Report
    trace: Report
    deadline: float | None


def _ask_helper(name: str, registry: str, where: str, context: _Context) -> Lookup:
    try:
        credentials = run_helper(name, _server_url(registry), deadline=context.deadline)
    except HelperFailed as failure:
        context.report(f"credential helper {failure} ({where}); continuing without credentials")
        return Lookup(None, failed_helper=failure.program)
    if credentials is None:
        context.trace(f"credentials: docker-credential-{name} has none for {registry}")
    return Lookup(credentials)


def find_credentials(
    registry: str,
    repository: str,
    *,
    report: Report | None = None,
    debug: Report | None = None,
    files: list[tuple[str, Path]] | None = None,
    deadline: float | None = None,
) -> Lookup:
    """Search the credential files for ``registry`` (host[:port] as in the reference).

    ``deadline`` (a ``time.monotonic()`` value) bounds how long a credential helper may run.
    """
    warn = report or (lambda line: None)
    trace = debug or (lambda line: None)
    context = _Context(warn, trace, deadline)
    for label, path in files if files is not None else default_files():
        document = _load(path, label, warn)
        if document is None:
            trace(f"credentials: {label} {path}: none")
            continue
        found = _from_document(document, f"{label} {path}", registry, repository, context)
        if found is None:
            trace(f"credentials: {label} {path}: no entry for {registry}")
            continue
        if found.credentials is not None:
            trace(f"credentials: using {found.credentials.source}")
        return found
    trace("credentials: none found; anonymous")
    return Lookup()
