"""The images the local engine is running, as places ``whichtag outdated`` asks about.

Each running container gives the reference it was started from, and its image's repo digest
for that repository (what was pulled); an image pulled under another name, or whose tag was
moved locally (the engine then shows the image ID as the container's image), is named by the
image's first repository name; one with repo digests for other names only, by its image ID.
An image made locally (no repo digest, or podman's ``localhost/``, as ``--local`` decides) has
nothing upstream and is left out with a note.
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
from whichtag.local.images import local_digests, made_locally, upstream_reference
from whichtag.names.reference import Reference


async def engine_uses(note: Callable[[str], None], skip: Callable[[str], None]) -> list[InUse]:
    """A place for each running container of the local engine. An image made locally has
    nothing upstream to be outdated against (``note``); a container that could not be read is
    a place not asked (``skip``: the answer is then incomplete)."""
    uses: list[InUse] = []
    images: dict[str, LocalImage] = {}
    for container in await running_containers():
        name = container.name or container.id[:12]
        try:
            image = images.get(container.image_id)
            if image is None:
                image = images[container.image_id] = await inspect_image(container.image_id)
            reference = upstream_reference(container.image, image)
        except WhichtagError as error:
            skip(f"container {name}: {error.message}")
            continue
        if made_locally(image, reference):
            note(f"container {name}: {reference} was made locally; nothing upstream to compare")
            continue
        uses.append(_use(container, image, reference))
    return uses


def _use(container: RunningContainer, image: LocalImage, reference: Reference) -> InUse:
    """The container as a place: its image by the repo digest pulled for this repository,
    else (pulled under another name) by its image ID."""
    place = {
        "source": "engine",
        "container": container.name,
        "id": container.id,
        "reference": container.image,  # as the engine was asked to run it
    }
    digests = local_digests(image, reference)
    if digests:
        return InUse(reference, place, digest=digests[0])
    return InUse(reference, place, image_id=image.id)
