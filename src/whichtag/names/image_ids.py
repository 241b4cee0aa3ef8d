"""Image IDs as people write them: the config blob's digest, or a prefix of it as ``docker
images`` shows it. A pure rule, so validating options never reaches the registry room."""

from __future__ import annotations

from whichtag.errors import UsageError

MIN_IMAGE_ID_PREFIX = 12


def normalise_image_id(text: str) -> str:
    """``sha256:<hex>`` or a prefix of at least 12 hex digits, as ``docker images`` shows."""
    hexpart = text.lower().removeprefix("sha256:")
    if not MIN_IMAGE_ID_PREFIX <= len(hexpart) <= 64 or any(
        char not in "0123456789abcdef" for char in hexpart
    ):
        raise UsageError(
            f"invalid image ID {text[:80]!r}",
            hint="an image ID is sha256:<64 hex>, or at least its first 12 hex digits",
        )
    return "sha256:" + hexpart
