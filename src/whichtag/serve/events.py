"""Change events: what changed between two refreshes of ``whichtag serve``.

A refresh's answers are reduced to a :class:`Snapshot` (what each tag in use points at, which
newer releases are out, which places could be checked); two snapshots give the events. What
the earlier snapshot did not know is never news: so the first refresh after a start, compared
with nothing, is a silent baseline, and an image newly in use announces nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from whichtag.answer.outdated import Outdated
from whichtag.names.versions import KINDS


@dataclass
class Snapshot:
    """What one refresh learned, keyed so that the next refresh can be compared with it."""

    #: ``registry/repository:tag`` -> (digest, version name) of each tag in use, where known
    tags: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    #: digest -> the tags known to point at it (the version name first)
    names: dict[str, list[str]] = field(default_factory=dict)
    #: (repository, newest release) -> (kind, the images in use it is newer than)
    releases: dict[tuple[str, str], tuple[str, list[str]]] = field(default_factory=dict)
    #: place -> (image, checked, first error)
    checked: dict[str, tuple[str, bool, str]] = field(default_factory=dict)
    #: the repositories whose images were checked (only there can a release be new)
    repositories: set[str] = field(default_factory=set)


def familiar(name: str) -> str:
    """A name as people write it in a message: Docker Hub's prefixes left out."""
    for prefix in ("docker.io/library/", "docker.io/"):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _repository(answer: Outdated) -> str:
    return str(dataclasses.replace(answer.reference, tag=None, digest=None))


def _place(place: dict[str, Any]) -> str:
    keys = ("source", "path", "line", "namespace", "pod", "container")
    return "/".join(str(place.get(key, "")) for key in keys)


def snapshot(answers: Iterable[Outdated]) -> Snapshot:
    """The comparable facts of one refresh's answers."""
    now = Snapshot()
    for answer in answers:
        repository = _repository(answer)
        for place in answer.where:
            error = answer.errors[0] if answer.errors else ""
            now.checked[_place(place)] = (str(answer.reference), answer.complete, error)
        if not answer.complete or answer.digest is None:
            continue
        now.repositories.add(repository)
        names = now.names.setdefault(answer.digest, [])
        if answer.version and answer.version not in names:
            names.insert(0, answer.version)
        for tag, moved in answer.moved.items():
            if not moved:
                now.tags[f"{repository}:{tag}"] = (answer.digest, answer.version)
            elif tag == next(filter(None, answer.place_tags), None) and answer.tag_digest:
                # a running image its tag has moved off: where the tag points now is known
                now.tags.setdefault(f"{repository}:{tag}", (answer.tag_digest, None))
        for tag in [*answer.aliases, *(tag for tag, moved in answer.moved.items() if not moved)]:
            if tag not in names:
                names.append(tag)
        for kind in KINDS:
            newest = getattr(answer.updates, kind)
            if newest is not None:
                _, images = now.releases.setdefault((repository, newest), (kind, []))
                if str(answer.reference) not in images:
                    images.append(str(answer.reference))
    return now


def changes(before: Snapshot, after: Snapshot) -> list[dict[str, Any]]:
    """The events between two refreshes: tags that moved, newer releases that appeared,
    places that stopped (or started again) being checkable."""
    events: list[dict[str, Any]] = []
    for tag, (digest, version) in after.tags.items():
        old = before.tags.get(tag)
        if old is None or old[0] == digest:
            continue
        own = tag.rpartition(":")[2]
        also = [name for name in after.names.get(digest, []) if name not in (own, version)]
        was, now = old[1] or old[0][:19], version or digest[:19]
        text = f"{familiar(tag)} {was} → {now}" + (f", also {', '.join(also)}" if also else "")
        events.append(
            {
                "event": "tag_moved",
                "tag": tag,
                "from": {"digest": old[0], "version": old[1]},
                "to": {"digest": digest, "version": version},
                "also": also,
                "text": text,
            }
        )
    for (repository, newest), (kind, images) in after.releases.items():
        if (repository, newest) in before.releases or repository not in before.repositories:
            continue  # known already, or an image newly in use: its releases are not news
        users = ", ".join(map(familiar, images))
        text = f"{familiar(repository)}: {newest} is out ({kind} update for {users})"
        events.append(
            {
                "event": "release",
                "repository": repository,
                "newest": newest,
                "kind": kind,
                "images": images,
                "text": text,
            }
        )
    for place, (image, checked, error) in after.checked.items():
        old_state = before.checked.get(place)
        if old_state is None or old_state[1] == checked:
            continue
        if checked:
            text = f"{familiar(image)} can be checked again"
        else:
            text = f"{familiar(image)} can no longer be checked: {error}"
        events.append(
            {
                "event": "checkable" if checked else "uncheckable",
                "image": image,
                "place": place,
                "error": error or None,
                "text": text,
            }
        )
    return events
