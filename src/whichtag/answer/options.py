"""How a run may reach registries and how hard it may work them: :class:`Options`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from whichtag.auth.credentials import Credentials
from whichtag.errors import UsageError, WhichtagError
from whichtag.names.image_ids import normalise_image_id
from whichtag.names.platforms import parse_platform
from whichtag.net.transport import DEFAULT_CONCURRENCY, ResponseObserver
from whichtag.net.urls import parse_server_url
from whichtag.registry.distribution import MAX_TAGS
from whichtag.registry.listers import ProgressCallback


@dataclass
class Options:
    """How to reach the registry and how hard to work it."""

    concurrency: int = DEFAULT_CONCURRENCY
    credentials: Credentials | None = None
    plain_http: bool = False
    insecure: bool = False
    ca_cert: str | None = None
    all_tags: bool = False
    timeout: float | None = 600.0
    attempts: int = 5
    backoff_base: float = 0.5
    read_timeout: float = 30.0
    connect_timeout: float = 10.0
    use_credential_files: bool = True
    max_tags: int = MAX_TAGS
    resolve: dict[str, str] | None = None  # host name -> IP, instead of DNS (curl --resolve)
    use_proxy_env: bool = True  # HTTPS_PROXY, HTTP_PROXY, NO_PROXY as docker and podman read them
    cert_dirs: list[Path] | None = None  # certs.d roots (None: podman's and docker's)
    platform: str | None = None  # match by this platform's image: os/arch[/variant] or local
    image_id: str | None = None  # match tags whose image has this config digest (or prefix)
    use_cache: bool = True  # keep manifests fetched by digest on disk
    lister: str = "auto"  # one of LISTERS: auto, generic, gcr, hub, quay, harbor, acr, fast
    lister_url: str | None = None  # another API base for a vendor lister (mirrors, tests)
    cache_dir: Path | None = None  # default: $XDG_CACHE_HOME/whichtag
    progress: ProgressCallback | None = None
    debug: Callable[[str], None] | None = None
    warn: Callable[[str], None] | None = None
    on_response: ResponseObserver | None = None  # told of each response (host, status, headers)

    def validate(self) -> None:
        """Refuse settings the command line refuses too, naming the setting."""
        checks = [
            ("concurrency", self.concurrency, 1, 1024),
            ("max_tags", self.max_tags, 1, 100_000_000),
            ("attempts", self.attempts, 1, 100),
        ]
        for name, value, low, high in checks:
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise UsageError(f"Options.{name} must be a whole number from {low} to {high}")
        if self.lister not in LISTERS:
            raise UsageError(f"Options.lister must be one of {', '.join(LISTERS)}")
        if self.lister_url is not None:
            try:
                parse_server_url(self.lister_url, "lister URL")
            except WhichtagError:
                raise UsageError(
                    f"Options.lister_url is not an http(s) URL: {self.lister_url[:100]!r}"
                ) from None
        if self.platform is not None:
            parse_platform(self.platform)
        if self.image_id is not None:
            normalise_image_id(self.image_id)
        if self.timeout is not None and not 0 < self.timeout <= 86400:
            raise UsageError("Options.timeout must be more than 0 and at most 86400 seconds")
        for name in ("read_timeout", "connect_timeout"):
            if not 0 < getattr(self, name) <= 86400:
                raise UsageError(f"Options.{name} must be more than 0 seconds")


LISTERS = ("auto", "generic", "gcr", "hub", "quay", "harbor", "acr", "fast")
