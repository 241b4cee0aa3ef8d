"""The images the local engine is running, as places ``whichtag outdated`` asks about.

Each running container gives the reference it was started from, and its image's repo digest
for that repository (what was pulled); an image pulled under another name, or whose tag was
moved locally (the engine then shows the image ID as the container's image), is named by the
image's first repository name. An image with no repo digest (built or loaded locally) is
asked about by its image ID; one with no registry name at all (podman's ``localhost/``) has
nothing upstream and is left out, with a warning.
"""

from __future__ import annotations

from collections.abc import Callable

from whichtag.answer.outdated import InUse
from whichtag.errors import WhichtagError
from whichtag.local.engine import (
    LocalImage,
    RunningContainer,
    inspect_image,
    running_containers,
)
from whichtag.local.images import PODMAN_LOCAL, local_digests, upstream_reference


async def engine_uses(warn: Callable[[str], None]) -> list[InUse]:
    """A place for each running container of the local engine."""
    uses: list[InUse] = []
    images: dict[str, LocalImage] = {}
    for container in await running_containers():
        try:
            uses += await _use(container, images)
        except WhichtagError as error:
            warn(f"container {container.name or container.id[:12]}: {error.message}")
    return uses


async def _use(container: RunningContainer, images: dict[str, LocalImage]) -> list[InUse]:
    image = images.get(container.image_id)
    if image is None:
        image = images[container.image_id] = await inspect_image(container.image_id)
    reference = upstream_reference(container.image, image)
    place = {"source": "engine", "container": container.name, "id": container.id}
    if reference.registry == PODMAN_LOCAL:
        raise WhichtagError(f"{reference} was made locally; there is no registry to ask")
    digests = local_digests(image, reference)
    if digests:
        return [InUse(reference, place, digest=digests[0])]
    return [InUse(reference, place, image_id=image.id)]
