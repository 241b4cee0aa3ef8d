"""The Distribution API: ping, paged tag lists, manifest HEAD (with GET fallback) and GET.

Authentication is not this module's business: every request goes through the registry's
:class:`~whichtag.auth.authorizer.Authorizer`, which alone attaches ``Authorization``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from whichtag.auth.authorizer import Authorizer
from whichtag.auth.credentials import Credentials
from whichtag.errors import (
    ProtocolError,
    WhichtagError,
    error_for_status,
    redact_url,
)
from whichtag.names.reference import is_valid_digest, is_valid_tag, validate_repository
from whichtag.net.links import next_link, resolve_next_page
from whichtag.net.transport import Response, Transport
from whichtag.registry.manifest import (
    MANIFEST_ACCEPT,
    MAX_MANIFEST_BYTES,
    Descriptor,
    Manifest,
    check_manifest,
    compute_digest,
    media_type_of,
    parse_json_object,
)

PAGE_SIZE = 1000
GOOGLE_PAGE_SIZE = 10_000
#: A GCR-shaped page carries every manifest of the repository, untagged ones included: 64 MiB
#: holds about 250,000 (measured: parsed in 1.1 s, about 350 MB at its peak on this machine).
MAX_TAG_PAGE_BYTES = 64 * 1024 * 1024
MAX_PAGES = 10_000
#: pages in a row that add no tag before a Link is taken to be cycling
MAX_REPEATED_PAGES = 3
MAX_TAGS = 1_000_000
MAX_WARNING_LENGTH = 4096
MAX_WARNINGS = 10
MAX_INVALID_TAG_LENGTH = 200


@dataclass
class TagListing:
    """Every tag string the registry listed, de-duplicated, in the order received."""

    tags: list[str] = field(default_factory=list)
    pages: int = 0
    invalid: list[str] = field(default_factory=list)  # entries that are not valid tags
    #: tag -> digest (and media type) where the answer carried GCR's ``manifest`` map
    #: (GCR, Artifact Registry and registries that copy the shape): bulk data, to be confirmed
    bulk: dict[str, Descriptor] = field(default_factory=dict)
    bulk_source: str = "gcr"  # which bulk lister filled ``bulk``
    #: None when ``bulk`` is as fresh as the tag list (it came in the same answer); else why
    #: it may lag (a vendor API asked for by name): the answer is then labelled inexact
    lag: str | None = None


class RegistryClient:
    """One registry origin: ``scheme://host[:port]``, spoken to through its authorizer."""

    def __init__(
        self,
        transport: Transport,
        base_url: str,
        credentials: Credentials | None = None,
        *,
        debug: Callable[[str], None] | None = None,
        failed_helper: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc
        self._debug = debug or (lambda line: None)
        self.auth = Authorizer(
            transport,
            self.base_url,
            credentials,
            debug=self._debug,
            failed_helper=failed_helper,
        )
        self.warnings: list[str] = []
        self._warnings_seen: set[str] = set()
        self._rate_limit_seen: str | None = None

    async def aclose(self) -> None:
        await self.auth.aclose()

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
        response = await self.auth.send(method, url, scope, accept=accept, body_cap=body_cap)
        self._note_headers(response)
        return response

    def _note_headers(self, response: Response) -> None:
        """Keep the registry's ``299`` warnings (each once, at most MAX_WARNINGS) and trace
        its rate-limit headers under --debug."""
        for value in response.header_values("Warning"):
            if len(self._warnings_seen) >= MAX_WARNINGS:
                break
            text = value.strip()
            if text.startswith("299 ") and len(text) <= MAX_WARNING_LENGTH:
                message = text[4:].lstrip("- ").strip().strip('"')
                if message and message not in self._warnings_seen:
                    self._warnings_seen.add(message)
                    self.warnings.append(message)
        remaining = response.headers.get("ratelimit-remaining")
        if remaining is not None and remaining != self._rate_limit_seen:
            self._rate_limit_seen = remaining
            limit = response.headers.get("ratelimit-limit", "?")
            self._debug(f"rate limit: {remaining[:40]} of {limit[:40]} pulls remaining")

    def _raise_for(self, response: Response, what: str) -> WhichtagError:
        return error_for_status(response.status, response.body, self.host, what)

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
        response = await self.auth.ping()
        self._note_headers(response)
        if response.status == 401:
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
        if page_size == PAGE_SIZE and _is_google(self.host):
            page_size = (
                GOOGLE_PAGE_SIZE  # what GCR and Artifact Registry allow (go-containerregistry)
            )
        url = f"{first}?n={page_size}" if page_size else first
        listing = TagListing()
        seen_urls: set[str] = set()
        seen_tags: set[str] = set()
        repeated = 0
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
            _read_manifest_map(document.get("manifest"), listing, max_tags)
            tags = document.get("tags")
            if tags is None:
                tags = []
            if not isinstance(tags, list):
                raise ProtocolError(f"tag list from {self.host} has no list of tags")
            before = len(listing.tags) + len(listing.invalid)
            for tag in tags:
                if tag is None:
                    continue  # Nexus sends null entries
                if not isinstance(tag, str) or not is_valid_tag(tag):
                    # Invalid entries count toward the limit too: a page of millions of
                    # them must stop at --max-tags like any other.
                    listing.invalid.append(_shown_entry(tag))
                elif tag not in seen_tags:
                    seen_tags.add(tag)
                    listing.tags.append(tag)
                if len(listing.tags) + len(listing.invalid) > max_tags:
                    raise ProtocolError(
                        f"{repository} lists more than {max_tags} tags; stopped listing",
                        hint="raise the limit (Options.max_tags)",
                        cli_hint="raise the limit with --max-tags",
                    )
            if tags and len(listing.tags) + len(listing.invalid) == before:
                repeated += 1  # a page of tags already listed: a Link cycling with new noise
                if repeated >= MAX_REPEATED_PAGES:
                    raise ProtocolError(
                        f"{self.host} sent {repeated} tag-list pages in a row that repeat "
                        "tags already listed (a pagination loop); stopped listing"
                    )
            else:
                repeated = 0
            target = next_link(response.header_values("Link"))
            if target is None:
                return listing
            # Against the URL asked (the registry's), not where a redirect may have ended.
            url = resolve_next_page(url, target)

    async def manifest_digest(
        self, repository: str, reference: str, *, algorithm: str = "sha256"
    ) -> Descriptor:
        """The digest ``docker pull`` reports for ``reference`` (HEAD, else GET and hash),
        with the media type the registry gave (an index or an image manifest)."""
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
                return Descriptor(digest, media_type_of(response.headers.get("Content-Type")))
        elif response.status in (401, 403, 429) or response.status >= 500:
            raise self._raise_for(response, _named(repository, reference))
        manifest = await self.get_manifest(repository, reference, algorithm=algorithm)
        return Descriptor(manifest.digest, manifest.media_type)

    async def is_blob(self, repository: str, digest: str) -> bool:
        """True when ``digest`` names a blob (a layer or config) of ``repository``."""
        validate_repository(repository)
        if not is_valid_digest(digest):
            return False
        url = f"{self.base_url}/v2/{repository}/blobs/{digest}"
        try:
            response = await self._send("HEAD", url, self.scope(repository), body_cap=0)
        except WhichtagError:
            return False
        return response.status == 200

    async def get_blob(self, repository: str, digest: str, *, cap: int) -> bytes:
        """A small blob (an image config), verified against its digest."""
        validate_repository(repository)
        if not is_valid_digest(digest):
            raise ProtocolError(f"refused to request an invalid digest {digest[:80]!r}")
        url = f"{self.base_url}/v2/{repository}/blobs/{digest}"
        response = await self._send("GET", url, self.scope(repository), body_cap=cap)
        if response.status != 200:
            raise self._raise_for(response, f"blob {digest} of {repository}")
        if compute_digest(response.body, digest.partition(":")[0]) != digest:
            raise ProtocolError(f"{self.host} sent a blob for {digest} whose bytes differ")
        return response.body

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


def _shown_entry(entry: object) -> str:
    """An invalid tag-list entry as it is reported: a string, cut to a bounded length."""
    if isinstance(entry, str):
        return entry[:MAX_INVALID_TAG_LENGTH]
    if isinstance(entry, (list, dict)):
        return "<a JSON array>" if isinstance(entry, list) else "<a JSON object>"
    return json.dumps(entry)[:MAX_INVALID_TAG_LENGTH]


def _named(repository: str, reference: str) -> str:
    """``repo:tag`` or ``repo@sha256:…``, as a user would write it."""
    return f"{repository}@{reference}" if ":" in reference else f"{repository}:{reference}"


def _is_google(host: str) -> bool:
    """GCR and Artifact Registry hosts (go-containerregistry's ``isGoogle``)."""
    name = host.rsplit(":", 1)[0].lower()
    return name == "gcr.io" or name.endswith((".gcr.io", ".pkg.dev"))


def _read_manifest_map(value: object, listing: TagListing, max_tags: int) -> None:
    """GCR's ``manifest`` map (digest -> ``{"tag": [...], "mediaType": ...}``) into
    ``listing.bulk``; malformed entries are skipped (the generic path will ask those tags)."""
    if not isinstance(value, dict):
        return
    for digest, info in value.items():
        if not isinstance(digest, str) or not is_valid_digest(digest) or not isinstance(info, dict):
            continue
        tags, media_type = info.get("tag"), info.get("mediaType")
        if not isinstance(tags, list):
            continue
        media_type = media_type if isinstance(media_type, str) else ""
        for tag in tags:
            if isinstance(tag, str) and is_valid_tag(tag) and len(listing.bulk) < max_tags:
                listing.bulk[tag] = Descriptor(digest, media_type_of(media_type))
