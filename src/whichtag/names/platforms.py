"""Platforms as docker writes them (``linux/arm64``, ``linux/arm/v7``), normalised and matched
the way containerd's ``platforms`` package does it."""

from __future__ import annotations

import platform as host_platform
import re
from dataclasses import dataclass

from whichtag.errors import UsageError

# containerd platforms.normalizeArch: the spellings kernels and tools use for one architecture
_ARCH_ALIASES = {
    "x86_64": ("amd64", ""),
    "x86-64": ("amd64", ""),
    "aarch64": ("arm64", ""),
    "armhf": ("arm", "v7"),
    "armel": ("arm", "v6"),
    "i386": ("386", ""),
    "i686": ("386", ""),
}
# an omitted variant means the architecture's default one
_DEFAULT_VARIANT = {"arm64": "v8", "arm": "v7"}
_PART_RE = re.compile(r"[a-z0-9_.-]{1,32}", re.ASCII)


@dataclass(frozen=True)
class Platform:
    """``os/architecture[/variant]``, normalised (``aarch64`` is ``arm64``, ``arm64`` is v8)."""

    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def of(cls, os: str, architecture: str, variant: str = "") -> Platform:
        os, architecture, variant = os.lower(), architecture.lower(), variant.lower()
        architecture, implied = _ARCH_ALIASES.get(architecture, (architecture, ""))
        variant = variant or implied or _DEFAULT_VARIANT.get(architecture, "")
        if architecture == "arm64" and variant == "8":
            variant = "v8"
        return cls(os, architecture, variant)

    def __str__(self) -> str:
        shown = self.variant if self.variant != _DEFAULT_VARIANT.get(self.architecture) else ""
        return "/".join(part for part in (self.os, self.architecture, shown) if part)


def parse_platform(text: str) -> Platform:
    """``os/arch[/variant]`` as docker's ``--platform`` takes it, or ``local``."""
    if text == "local":
        return local_platform()
    parts = text.lower().split("/")
    if not 2 <= len(parts) <= 3 or not all(_PART_RE.fullmatch(part) for part in parts):
        raise UsageError(
            f"invalid platform {text[:80]!r}",
            hint="platforms look like linux/amd64, linux/arm64 or linux/arm/v7 (or: local)",
        )
    return Platform.of(*parts)


def local_platform() -> Platform:
    """This machine's platform, as docker pull would choose it."""
    system = host_platform.system().lower() or "linux"
    return Platform.of(system, host_platform.machine() or "amd64")
