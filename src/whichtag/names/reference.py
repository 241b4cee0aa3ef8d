"""Image references, parsed and normalised exactly as Docker (distribution/reference) does.

Pure functions, no I/O. Every name, tag and digest that later goes into a URL has passed one
of the anchored ASCII grammars here first; nothing else is allowed into a request path.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from whichtag.errors import InvalidReferenceError

DOCKER_HUB = "docker.io"
DOCKER_HUB_ENDPOINT = "registry-1.docker.io"
DEFAULT_TAG = "latest"
MAX_INPUT_LENGTH = 4096
MAX_PATH_LENGTH = 255

_A = re.ASCII
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN = rf"(?:{_DOMAIN_NAME}|{_IPV6})(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_PATH = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"

_REFERENCE_RE = re.compile(
    rf"(?P<name>(?:{_DOMAIN}/)?{_PATH})(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?", _A
)
_DOMAIN_RE = re.compile(_DOMAIN, _A)
_PATH_RE = re.compile(_PATH, _A)
_TAG_RE = re.compile(_TAG, _A)
_DIGEST_SHAPE_RE = re.compile(_DIGEST, _A)
_BARE_IDENTIFIER_RE = re.compile(r"[a-f0-9]{64}", _A)

#: Hex length per digest algorithm whichtag can compute; lowercase hex only (go-digest rule).
DIGEST_ALGORITHMS: dict[str, int] = {"sha256": 64, "sha512": 128}


@dataclass(frozen=True)
class Reference:
    """A normalised reference: ``registry/repository[:tag][@digest]``.

    ``registry`` is the host[:port] as written (``docker.io`` for Docker Hub); when both a
    tag and a digest are given the digest wins, as in ``docker pull``, and the tag is kept
    only for display.
    """

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """The full repository name, ``registry/repository``."""
        return f"{self.registry}/{self.repository}"

    def _with_suffix(self, name: str) -> str:
        tag = f":{self.tag}" if self.tag is not None else ""
        digest = f"@{self.digest}" if self.digest is not None else ""
        return f"{name}{tag}{digest}"

    def __str__(self) -> str:
        return self._with_suffix(self.name)

    @property
    def familiar(self) -> str:
        """The short form Docker prints (``nginx:1.27``, ``fluent/fluentd:latest``)."""
        name = self.name
        if self.registry == DOCKER_HUB:
            name = self.repository
            prefix = "library/"
            if name.startswith(prefix) and "/" not in name[len(prefix) :]:
                name = name[len(prefix) :]
        return self._with_suffix(name)

    @property
    def endpoint_host(self) -> str:
        """The host[:port] to connect to (Docker Hub's API lives on another name)."""
        return DOCKER_HUB_ENDPOINT if self.registry == DOCKER_HUB else self.registry


def _fail(text: str, why: str) -> InvalidReferenceError:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return InvalidReferenceError(f"invalid reference {shown!r}: {why}")


def parse_reference(text: str) -> Reference:
    """Parse and normalise ``text`` as ``docker pull`` would, or raise InvalidReferenceError."""
    if not isinstance(text, str) or text == "":
        raise _fail("", "it is empty")
    if len(text) > MAX_INPUT_LENGTH:
        raise _fail(text, f"longer than {MAX_INPUT_LENGTH} characters")
    if not text.isascii() or not text.isprintable() or text != text.strip():
        raise _fail(text, "it contains whitespace, control or non-ASCII characters")
    if "://" in text:
        raise _fail(text, "drop the URL scheme (write host/repository, not https://host/...)")
    if _BARE_IDENTIFIER_RE.fullmatch(text):
        raise _fail(text, "a bare 64-hex string is an image ID, not a repository name")

    name, tag, digest = _split(text)
    domain, remainder = _split_domain(name)
    if remainder != remainder.lower():
        raise _fail(text, "repository names must be lowercase")
    if not _PATH_RE.fullmatch(remainder):
        raise _fail(text, _explain_path(remainder))
    if len(remainder) > MAX_PATH_LENGTH:
        raise _fail(text, f"repository name longer than {MAX_PATH_LENGTH} characters")
    if not _DOMAIN_RE.fullmatch(domain):
        raise _fail(text, f"{domain!r} is not a valid registry host[:port]")
    _check_ipv6_literal(text, domain)
    if tag is not None and not _TAG_RE.fullmatch(tag):
        raise _fail(text, "tags are 1-128 of [A-Za-z0-9_.-] and cannot start with '.' or '-'")
    if digest is not None:
        validate_digest(digest, what=f"invalid reference {text!r}: digest")
    if tag is None and digest is None:
        tag = DEFAULT_TAG
    reference = Reference(registry=domain, repository=remainder, tag=tag, digest=digest)
    if not _REFERENCE_RE.fullmatch(str(reference)):  # belt and braces: the whole grammar
        raise _fail(text, "not a valid reference")
    return reference


def _split(text: str) -> tuple[str, str | None, str | None]:
    """Split ``name[:tag][@digest]``; the tag's colon is the last one after the last '/'."""
    digest: str | None = None
    rest = text
    if "@" in rest:
        rest, digest = rest.split("@", 1)
        if not digest:
            raise _fail(text, "nothing after '@' (expected a digest such as sha256:<hex>)")
    tag: str | None = None
    last_slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > last_slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
        if not tag:
            raise _fail(text, "nothing after ':' (expected a tag)")
    if not rest:
        raise _fail(text, "the repository name is missing")
    return rest, tag, digest


def _split_domain(name: str) -> tuple[str, str]:
    """Docker's ``splitDockerDomain``: decide whether the first component is a registry."""
    first, sep, remainder = name.partition("/")
    if not sep:
        return DOCKER_HUB, f"library/{name}"
    if first == "localhost" or "." in first or ":" in first or first != first.lower():
        domain = first
    else:
        domain, remainder = DOCKER_HUB, name
    if domain == "index.docker.io":
        domain = DOCKER_HUB
    if domain == DOCKER_HUB and "/" not in remainder:
        remainder = f"library/{remainder}"
    return domain, remainder


def _explain_path(path: str) -> str:
    if "//" in path or path.startswith("/") or path.endswith("/"):
        return "empty path component ('//' or a leading or trailing '/')"
    for component in path.split("/"):
        if component in (".", ".."):
            return "'.' and '..' are not repository path components"
        if not _PATH_RE.fullmatch(component):
            return (
                f"path component {component!r} must be lowercase letters and digits "
                "joined by '.', '_', '__' or '-'"
            )
    return "not a valid repository name"


def _check_ipv6_literal(text: str, domain: str) -> None:
    if not domain.startswith("["):
        return
    literal = domain[1 : domain.index("]")]
    try:
        address = ipaddress.IPv6Address(literal)
    except ValueError:
        raise _fail(text, f"{literal!r} is not an IPv6 address") from None
    if address.ipv4_mapped is not None or "." in literal:
        raise _fail(text, "IPv4-in-IPv6 registry addresses are not supported")


def validate_repository(name: str) -> str:
    """Check a repository path (without registry) against the grammar; return it."""
    if not isinstance(name, str) or len(name) > MAX_PATH_LENGTH or not _PATH_RE.fullmatch(name):
        raise InvalidReferenceError(f"invalid repository name {name[:80]!r}")
    return name


def is_valid_tag(tag: object) -> bool:
    """True when ``tag`` may go into a URL: the spec's tag grammar, ASCII, 1-128 characters."""
    return isinstance(tag, str) and _TAG_RE.fullmatch(tag) is not None


def validate_digest(digest: str, *, what: str = "digest") -> str:
    """Check ``algorithm:hex`` (shape, known algorithm, exact lowercase hex length)."""
    if not isinstance(digest, str) or len(digest) > 256 or not _DIGEST_SHAPE_RE.fullmatch(digest):
        raise InvalidReferenceError(f"{what} {str(digest)[:80]!r} is not of the form sha256:<hex>")
    algorithm, _, hexpart = digest.partition(":")
    length = DIGEST_ALGORITHMS.get(algorithm)
    if length is None:
        raise InvalidReferenceError(
            f"{what} {digest[:80]!r} uses an unsupported algorithm {algorithm!r}",
            hint="supported algorithms: " + ", ".join(DIGEST_ALGORITHMS),
        )
    if len(hexpart) != length or not re.fullmatch(r"[a-f0-9]+", hexpart, _A):
        raise InvalidReferenceError(
            f"{what} {digest[:80]!r} must have exactly {length} lowercase hex characters"
        )
    return digest


def is_valid_digest(digest: object) -> bool:
    """True when ``digest`` passes :func:`validate_digest`."""
    if not isinstance(digest, str):
        return False
    try:
        validate_digest(digest)
    except InvalidReferenceError:
        return False
    return True
