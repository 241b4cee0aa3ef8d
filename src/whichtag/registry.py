"""The Distribution API: ping, paged tag lists, manifest HEAD (with GET fallback) and GET."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from whichtag.auth.authenticator import Authenticator
from whichtag.auth.credentials import Credentials
from whichtag.errors import (
    AuthError,
    NotFoundError,
    ProtocolError,
    RegistryError,
    WhichtagError,
    redact_url,
)
from whichtag.hosts import is_internal_address
from whichtag.links import next_link, resolve_next_page, same_origin
from whichtag.manifest import (
    MANIFEST_ACCEPT,
    MAX_MANIFEST_BYTES,
    Manifest,
    check_manifest,
    compute_digest,
    parse_json_object,
)
from whichtag.reference import is_valid_digest, is_valid_tag, validate_repository
from whichtag.transport import Response, Transport

PAGE_SIZE = 1000
MAX_TAG_PAGE_BYTES = 16 * 1024 * 1024
MAX_PAGES = 10_000
MAX_TAGS = 1_000_000
MAX_WARNING_LENGTH = 4096


@dataclass
class TagListing:
    """Every tag string the registry listed, de-duplicated, in the order received."""

    tags: list[str] = field(default_factory=list)
    pages: int = 0
    invalid: list[str] = field(default_factory=list)  # entries that are not valid tags


def _registry_error(response: Response) -> tuple[str | None, str | None]:
    """The first ``{"errors":[{"code","message"}]}`` entry of an error body, if any."""
    try:
        document = json.loads(response.body.decode("utf-8", "replace"))
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


class RegistryClient:
    """One registry origin: ``scheme://host[:port]``, with its authentication state."""

    def __init__(
        self,
        transport: Transport,
        base_url: str,
        credentials: Credentials | None = None,
        *,
        debug: Callable[[str], None] | None = None,
        failed_helper: str | None = None,
    ) -> None:
        self.transport = transport
        self.failed_helper = failed_helper
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc
        hostname = urlsplit(self.base_url).hostname or ""
        # A registry on an internal address may redirect internally; a public one may not.
        self.is_local = is_internal_address(hostname)
        self._debug = debug or (lambda line: None)
        self.auth = Authenticator(
            transport, self.base_url, credentials, debug=self._debug, local=self.is_local
        )
        self.warnings: list[str] = []
        self._rate_limit_seen: str | None = None

    # -- plumbing -------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        url: str,
        scope: str,
        *,
        accept: str | None = None,
        body_cap: int = 64 * 1024,
    ) -> Response:
        """Send with authentication; on a 401 learn the challenge and try once more."""
        for attempt in (1, 2):
            headers = {}
            if accept:
                headers["Accept"] = accept
            authorization = await self.auth.header(scope)
            if authorization:
                headers["Authorization"] = authorization
            response = await self.transport.request(
                method, url, headers=headers, body_cap=body_cap, local_ok=self.is_local
            )
            self._note_headers(response)
            if response.status != 401:
                return response
            if not same_origin(response.url, self.base_url):
                raise AuthError(
                    f"{urlsplit(response.url).netloc} (redirected to by {self.host}) asked for "
                    "credentials; whichtag does not send them to another host",
                    hint=None,
                )
            challenge = self.auth.learn(response)
            if challenge is None:
                raise AuthError(f"{self.host} answered 401 without a usable challenge")
            if attempt == 1:
                if authorization:
                    self.auth.forget(scope, authorization)
                wider = challenge.get("scope")
                if challenge.get("error") == "insufficient_scope" and wider and wider != scope:
                    self._debug(f"registry asked for scope {wider[:200]!r}; retrying with it")
                    scope = wider
                if (
                    challenge.scheme == "basic"
                    and not authorization
                    and self.auth.credentials is None
                ):
                    break
                continue
        raise self._auth_failure()

    def _auth_failure(self) -> AuthError:
        credentials = self.auth.credentials
        if credentials is None:
            if self.failed_helper:
                return AuthError(
                    f"authentication required by {self.host}; the configured credential "
                    f"helper {self.failed_helper} failed, so no credentials were sent",
                    hint=f"check that {self.failed_helper} is installed and works",
                )
            return AuthError(f"authentication required by {self.host}")
        return AuthError(
            f"{self.host} refused the credentials from {credentials.source}",
            hint="check the username and password, and that this account may pull the repository",
        )

    def _note_headers(self, response: Response) -> None:
        for value in response.header_values("Warning"):
            text = value.strip()
            if text.startswith("299 ") and len(text) <= MAX_WARNING_LENGTH:
                message = text[4:].lstrip("- ").strip().strip('"')
                if message and message not in self.warnings:
                    self.warnings.append(message)
        remaining = response.headers.get("ratelimit-remaining")
        if remaining is not None and remaining != self._rate_limit_seen:
            self._rate_limit_seen = remaining
            limit = response.headers.get("ratelimit-limit", "?")
            self._debug(f"rate limit: {remaining[:40]} of {limit[:40]} pulls remaining")

    def _raise_for(self, response: Response, what: str) -> WhichtagError:
        code, message = _registry_error(response)
        detail = f" ({message})" if message else ""
        status = response.status
        if status == 401:
            return self._auth_failure()
        if status == 403:
            return AuthError(
                f"access to {what} denied by {self.host}{detail}",
                code=code or "DENIED",
                hint="check that this account may pull the repository",
            )
        if status == 404:
            if code == "NAME_UNKNOWN":
                return NotFoundError(
                    f"repository {what} not found on {self.host}",
                    code=code,
                    hint="check the repository name (private repositories need credentials)",
                )
            return NotFoundError(f"{what} not found on {self.host}{detail}", code=code)
        if status == 429:
            return RegistryError(
                f"{self.host} is rate limiting requests{detail}",
                status=status,
                code=code or "TOOMANYREQUESTS",
                hint="wait and retry, log in for a higher limit, or lower --concurrency",
            )
        return RegistryError(
            f"{self.host} answered HTTP {status} for {what}{detail}", status=status, code=code
        )

    @staticmethod
    def scope(repository: str) -> str:
        return f"repository:{repository}:pull"

    def _manifest_url(self, repository: str, reference: str) -> str:
        validate_repository(repository)
        if not (is_valid_tag(reference) or is_valid_digest(reference)):
            raise ProtocolError(f"refused to request an invalid tag or digest {reference[:80]!r}")
        return f"{self.base_url}/v2/{repository}/manifests/{quote(reference, safe=':')}"

    # -- API ------------------------------------------------------------------------------

    async def ping(self) -> None:
        """``GET /v2/``: learn the challenge, and make sure this is a registry at all."""
        response = await self.transport.request(
            "GET", f"{self.base_url}/v2/", local_ok=self.is_local
        )
        self._note_headers(response)
        if response.status == 401:
            if self.auth.learn(response) is None:
                raise ProtocolError(
                    f"{self.host} answered 401 without a usable WWW-Authenticate challenge"
                )
            return
        if response.status == 200:
            if "Docker-Distribution-API-Version" in response.headers:
                return
            try:
                json.loads(response.body or b"{}")
            except (ValueError, RecursionError):
                pass
            else:
                return
        if response.status in (200, 404):
            raise ProtocolError(
                f"{self.host} does not look like a container registry (no /v2/ API)",
                hint="check the host and port of the registry",
            )
        raise self._raise_for(response, "/v2/")

    async def list_tags(
        self, repository: str, *, page_size: int = PAGE_SIZE, max_tags: int = MAX_TAGS
    ) -> TagListing:
        """Every tag of ``repository``, following ``Link`` pages on the same origin only."""
        validate_repository(repository)
        scope = self.scope(repository)
        first = f"{self.base_url}/v2/{repository}/tags/list"
        url = f"{first}?n={page_size}" if page_size else first
        listing = TagListing()
        seen_urls: set[str] = set()
        seen_tags: set[str] = set()
        while True:
            if url in seen_urls:
                raise ProtocolError(f"{self.host} repeated a tag-list page (pagination loop)")
            if len(seen_urls) >= MAX_PAGES:
                raise ProtocolError(f"{self.host} sent more than {MAX_PAGES} tag-list pages")
            seen_urls.add(url)
            response = await self._send("GET", url, scope, body_cap=MAX_TAG_PAGE_BYTES)
            if response.status == 400 and listing.pages == 0 and "?n=" in url:
                self._debug("registry refused the page size; listing without n")
                url = first
                continue
            if response.status != 200:
                raise self._raise_for(response, repository)
            listing.pages += 1
            document = parse_json_object(response.body, f"tag list page from {self.host}")
            name = document.get("name")
            if isinstance(name, str) and name != repository:
                self._debug(f"tag list names repository {name[:80]!r}, asked for {repository!r}")
            tags = document.get("tags")
            if tags is None:
                tags = []
            if not isinstance(tags, list):
                raise ProtocolError(f"tag list from {self.host} has no list of tags")
            for tag in tags:
                if tag is None:
                    continue  # Nexus sends null entries
                if not isinstance(tag, str) or not is_valid_tag(tag):
                    listing.invalid.append(str(tag)[:200])
                    continue
                if tag not in seen_tags:
                    seen_tags.add(tag)
                    listing.tags.append(tag)
            if len(listing.tags) > max_tags:
                raise ProtocolError(
                    f"{repository} has more than {max_tags} tags; stopped listing",
                    hint="raise the limit with --max-tags",
                )
            target = next_link(response.header_values("Link"))
            if target is None:
                return listing
            url = resolve_next_page(response.url, target)

    async def manifest_digest(
        self, repository: str, reference: str, *, algorithm: str = "sha256"
    ) -> str:
        """The digest ``docker pull`` reports for ``reference``: HEAD, else GET and hash."""
        url = self._manifest_url(repository, reference)
        response = await self._send(
            "HEAD", url, self.scope(repository), accept=MANIFEST_ACCEPT, body_cap=0
        )
        if response.status == 200:
            digest = response.headers.get("Docker-Content-Digest", "").strip()
            if is_valid_digest(digest) and digest.startswith(algorithm + ":"):
                if is_valid_digest(reference) and digest != reference:
                    raise ProtocolError(
                        f"{self.host} answered for {reference} with another digest {digest}"
                    )
                return digest
        elif response.status in (401, 403, 429) or response.status >= 500:
            raise self._raise_for(response, f"{repository}:{reference}")
        manifest = await self.get_manifest(repository, reference, algorithm=algorithm)
        return manifest.digest

    async def get_manifest(
        self, repository: str, reference: str, *, algorithm: str = "sha256"
    ) -> Manifest:
        """GET a manifest and verify it: the digest asked for, or the one the registry claims."""
        url = self._manifest_url(repository, reference)
        response = await self._send(
            "GET", url, self.scope(repository), accept=MANIFEST_ACCEPT, body_cap=MAX_MANIFEST_BYTES
        )
        what = f"manifest {reference}" if ":" in reference else f"tag {reference!r}"
        if response.status != 200:
            raise self._raise_for(response, f"{what} of {repository}")
        if not response.body:
            raise ProtocolError(f"{self.host} sent an empty manifest for {reference}")
        if ":" in reference:
            algorithm = reference.partition(":")[0]
        digest = compute_digest(response.body, algorithm)
        if ":" in reference and digest != reference:
            raise ProtocolError(
                f"{self.host} sent a manifest for {reference} whose bytes hash to {digest}",
                hint="the registry or a proxy in between altered the content",
            )
        claimed = response.headers.get("Docker-Content-Digest", "").strip()
        if claimed.startswith(algorithm + ":") and claimed != digest:
            raise ProtocolError(
                f"{self.host} claims digest {claimed[:80]} for {redact_url(url)}, "
                f"but the bytes hash to {digest}"
            )
        media_type = check_manifest(response.body, response.headers.get("Content-Type"))
        return Manifest(body=response.body, media_type=media_type, digest=digest)
