"""One exception hierarchy: every failure a user can meet, with a hint and an exit code.

Messages never carry secrets: callers build them from references, hosts and registry error
codes only, and URLs pass through :func:`redact_url` first.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit, urlunsplit

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3


class WhichtagError(Exception):
    """Base of all whichtag errors: a one-line message plus an optional hint.

    ``message`` and ``hint`` speak to library users and name no command-line flag;
    ``cli_message`` and ``cli_hint``, where set, are what the command line says instead.
    """

    exit_code = EXIT_ERROR
    default_hint: str | None = None
    default_cli_hint: str | None = None

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        code: str | None = None,
        cli_hint: str | None = None,
        cli_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        self.code = code  # the registry's error code (NAME_UNKNOWN, DENIED, ...), when known
        # The class's command-line hint stands in for its default hint only: an error raised
        # with a hint of its own (what was tried, what to check) keeps it on the command line.
        default_cli = self.default_cli_hint if hint is None else None
        self.cli_hint = cli_hint if cli_hint is not None else default_cli
        self.cli_message = cli_message

    def __str__(self) -> str:
        return self.message


class InvalidReferenceError(WhichtagError):
    """A malformed image reference, repository name, tag or digest (bad usage)."""

    exit_code = EXIT_USAGE
    default_hint = "references look like nginx, nginx:1.27, ghcr.io/org/app:v1 or app@sha256:<hex>"


class UsageError(WhichtagError):
    """Options that do not fit together."""

    exit_code = EXIT_USAGE


class NotFoundError(WhichtagError):
    """The repository, tag or digest does not exist (or is hidden from this identity)."""

    default_hint = (
        "check the tag or digest: tags are case-sensitive, and a digest must be a manifest "
        "digest (what docker pull prints), not an image ID or a layer"
    )


class AuthError(WhichtagError):
    """Authentication was required, refused or could not be carried out."""

    default_hint = "log in with docker login or podman login (whichtag reads their credentials)"
    default_cli_hint = "log in with docker login or podman login, or pass -u USER --password-stdin"


class AccessDeniedError(AuthError):
    """HTTP 403: this identity may not pull it. For one tag, that tag's error, not the scan's."""

    default_hint = "check that this account may pull the repository"


class ProtocolError(WhichtagError):
    """The server broke the Distribution API: bad body, bad header, not a registry, over a cap."""


class SecurityError(ProtocolError):
    """The server asked for something whichtag refuses to do (leak credentials, leave the host)."""


class TransportError(WhichtagError):
    """The network failed: unreachable, timed out, reset, TLS failure."""


class ConnectError(TransportError):
    """Nothing could be reached: connection refused, or the host name does not resolve."""


class NameResolutionError(ConnectError):
    """The host name does not resolve: the same answer for every request to it, not retried."""


class TLSError(TransportError):
    """The TLS handshake or certificate check failed.

    ``certificate`` is True when the server spoke TLS but its certificate was not trusted,
    False when the handshake itself failed (for example, the server speaks plain HTTP).
    """

    default_hint = (
        "trust the registry's CA (a certs.d directory, or Options.ca_cert), "
        "or skip verification (Options.insecure)"
    )
    default_cli_hint = (
        "trust the registry's CA with --ca-cert FILE or a certs.d directory, "
        "or skip verification with --insecure"
    )

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        certificate: bool = True,
        cli_hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint, cli_hint=cli_hint)
        self.certificate = certificate


class RegistryError(WhichtagError):
    """The registry answered with an error status that no more specific class covers."""

    default_hint = "the registry is failing or refuses this request; retry later"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        hint: str | None = None,
        code: str | None = None,
        retry_after: float | None = None,
        cli_hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint, code=code, cli_hint=cli_hint)
        self.status = status
        self.retry_after = retry_after


def registry_error_detail(body: bytes) -> tuple[str | None, str | None]:
    """The first ``{"errors":[{"code","message"}]}`` entry of an error body: (code, message)."""
    try:
        document = json.loads(body.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(document, dict):
        return None, None
    errors = document.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        code, message = errors[0].get("code"), errors[0].get("message")
        code = code if isinstance(code, str) and len(code) < 64 else None
        message = message if isinstance(message, str) else None
        return code, (message[:200] if message else None)
    return None, None


def error_for_status(status: int, body: bytes, host: str, what: str) -> WhichtagError:
    """The error for a registry's non-2xx answer about ``what`` (401s are the authorizer's)."""
    code, message = registry_error_detail(body)
    detail = f" ({message})" if message else ""
    if status == 401:
        return AuthError(f"authentication required by {host}{detail}", code=code)
    if status == 403:
        return AccessDeniedError(
            f"access to {what} denied by {host}{detail}", code=code or "DENIED"
        )
    if status == 404:
        if code == "NAME_UNKNOWN":
            return NotFoundError(
                f"repository {what} not found on {host}",
                code=code,
                hint="check the repository name (private repositories need credentials)",
            )
        return NotFoundError(f"{what} not found on {host}{detail}", code=code)
    if status == 429:
        return RegistryError(
            f"{host} is rate limiting requests{detail}",
            status=status,
            code=code or "TOOMANYREQUESTS",
            hint="wait and retry, log in for a higher limit, or send fewer requests at once",
            cli_hint="wait and retry, log in for a higher limit, or lower --concurrency",
        )
    return RegistryError(
        f"{host} answered HTTP {status} for {what}{detail}", status=status, code=code
    )


_SECRET_QUERY_KEYS = ("token", "signature", "sig", "credential", "key", "password", "secret")


def redact_url(url: str) -> str:
    """Drop user info and secret-looking query values from a URL before it is shown."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = parts.query
    if query:
        kept = []
        for pair in query.split("&"):
            key = pair.split("=", 1)[0]
            if any(word in key.lower() for word in _SECRET_QUERY_KEYS):
                kept.append(f"{key}=REDACTED")
            else:
                kept.append(pair)
        query = "&".join(kept)
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
