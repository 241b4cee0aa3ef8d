"""Upgrade plans: what each image reference moves to (``whichtag upgrade``, and the library's
:func:`plan_upgrades`).

A reference whose tag is a version moves to the newest release of its variant that the
allowed update kind permits (``to``: ``patch``, ``minor`` or ``major``; see
:mod:`whichtag.names.upgrades`), written at the tag's own precision where that tag exists
and points at the same image as the full version (else the full version). A reference
pinned by digest stays pinned, with the new tag's digest; an unpinned one stays unpinned
unless pinning is asked. Moving tags (``latest``, ``stable``) are not upgraded: that is
``pin``'s drift; ``version_tag`` first names them by their version, as ``pin
--version-tag`` does.

Cost: one tag listing per repository for the whole run (the :class:`Client` shares it);
then only the tags written are asked (the target's precision tag and its full version),
each once however many references share it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from whichtag.answer.connect import with_deadline
from whichtag.answer.outdated import read_versions
from whichtag.errors import WhichtagError
from whichtag.names.reference import Reference, parse_reference
from whichtag.names.upgrades import Target, kind_allowed, upgrade_target
from whichtag.names.versions import KINDS, Parse, parse_version, tag_to_pin

if TYPE_CHECKING:
    from whichtag.answer.client import Client


@dataclass(frozen=True)
class Rules:
    """Limits on upgrades (the policy file's, per image, when there is one): ``track`` the
    biggest update kind allowed (it caps ``to``), ``prerelease`` (None: the rule; False:
    never; True: also to releases), ``pin`` (None: as asked; True: pin what is upgraded;
    False: never add a digest; a digest already written is always kept)."""

    track: str | None = None
    prerelease: bool | None = None
    pin: bool | None = None
    parse: Parse | None = None  # the repository's own version grammar (``versioning``)


@dataclass
class Upgrade:
    """What one reference, as written, becomes."""

    reference: str  # as written
    new: str | None = None  # the reference to write (None: unchanged or failed)
    from_version: str | None = None
    to_version: str | None = None
    kind: str | None = None
    digest: str | None = None  # the digest written with the new tag (pinned references)
    status: str = "current"  # available, current, skipped, error
    error: str | None = None
    #: the error means "cannot tell" (its versions could not be read) rather than "could not
    #: upgrade" (a tag to write did not resolve)
    unknown: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "old": self.reference,
            "new": self.new if self.new is not None else None,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "kind": self.kind,
            "digest": self.digest,
            "status": self.status,
            **({"error": self.error} if self.error is not None else {}),
        }


class _Run:
    """One plan's questions: each repository listed once, each tag asked once, each
    listing read by the version grammar once."""

    def __init__(self, client: Client, own: dict[tuple[str, str], set[str]]) -> None:
        self.client = client
        self.own = own  # the tags the references use, per repository
        self._digests: dict[Reference, asyncio.Future[str]] = {}
        self._versions: dict[tuple[str, str], asyncio.Future[list[str]]] = {}

    async def version_tags(self, ref: Reference, parse: Parse | None = None) -> list[str]:
        """The repository's listed tags that may be versions of the references' variants,
        read as ``outdated`` reads them: a pre-filter, then the grammar (``parse``: the
        repository's own) in chunks that a deadline can stop (a hostile listing)."""
        key = (ref.registry, ref.repository)
        if key not in self._versions:
            self._versions[key] = asyncio.ensure_future(self._read(ref, key, parse))
        return await asyncio.shield(self._versions[key])

    async def _read(self, ref: Reference, key: tuple[str, str], parse: Parse | None) -> list[str]:
        listed = await self.client.tags_of(ref)
        work = read_versions(listed, self.own.get(key, set()), parse)
        return list(await with_deadline(work, self.client.options.timeout))

    async def digest_of(self, reference: Reference) -> str:
        key = dataclasses.replace(reference, digest=None)
        if key not in self._digests:
            self._digests[key] = asyncio.ensure_future(self.client.digest_of(key))
        return await asyncio.shield(self._digests[key])


async def plan_upgrades(
    client: Client,
    references: list[str],
    *,
    to: str = "minor",
    rules: Rules | Callable[[str], Rules] | None = None,
    pin: bool = False,
    version_tag: bool = False,
) -> list[Upgrade]:
    """One :class:`Upgrade` per reference (as written), in the order given; each distinct
    reference planned once. ``rules``: one :class:`Rules` for all, or a function giving each
    reference's (as a policy file gives them per image)."""
    if to not in KINDS:
        raise ValueError(f"to must be one of {', '.join(KINDS)}")
    distinct = list(dict.fromkeys(references))
    own: dict[tuple[str, str], set[str]] = {}
    for text in distinct:
        try:
            ref = parse_reference(text)
        except WhichtagError:
            continue  # its plan says why
        own.setdefault((ref.registry, ref.repository), set()).add(ref.tag or "latest")
    run = _Run(client, own)

    def rules_of(text: str) -> Rules:
        if rules is None:
            return Rules()
        return rules if isinstance(rules, Rules) else rules(text)

    plans = await asyncio.gather(
        *(_plan(run, text, to, rules_of(text), pin, version_tag) for text in distinct)
    )
    by_text = dict(zip(distinct, plans, strict=True))
    return [dataclasses.replace(by_text[text]) for text in references]


def _message(error: WhichtagError) -> str:
    return error.cli_message or error.message


async def _plan(
    run: _Run, text: str, to: str, rules: Rules, pin: bool, version_tag: bool
) -> Upgrade:
    plan = Upgrade(text)
    try:
        ref = parse_reference(text)
    except WhichtagError as error:
        plan.status, plan.error, plan.unknown = "error", _message(error), True
        return plan
    if ref.tag is None:
        plan.status = "skipped"  # pinned by digest alone: no tag to move
        return plan
    if rules.track is not None and not kind_allowed(to, rules.track):
        to = rules.track
    tag = ref.tag
    read = rules.parse or parse_version
    if read(tag) is None and not version_tag:
        plan.status = "skipped"  # a moving tag: pin's drift, not an upgrade (nothing asked)
        return plan
    try:
        listed = await run.version_tags(ref, rules.parse)
    except WhichtagError as error:
        plan.status, plan.error, plan.unknown = "error", _message(error), True
        return plan
    try:
        if read(tag) is None:
            result = await run.client.find_same_tags(dataclasses.replace(ref, digest=None))
            if not result.complete:  # cannot tell which version it is
                plan.status, plan.unknown = "error", True
                plan.error = f"could not ask every tag of {ref.repository} for the version name"
                return plan
            tag = tag_to_pin(tag, result.version)
            if read(tag) is None:
                plan.status = "skipped"  # no version tag names it
                return plan
        plan.from_version = tag
        target = upgrade_target(tag, listed, to=to, prerelease=rules.prerelease, parse=rules.parse)
        written = tag
        if target is not None:
            written = await _written(run, ref, target)
            plan.to_version, plan.kind = target.full, target.kind
        if written == ref.tag:
            plan.to_version, plan.kind = None, None
            return plan  # current
        keep_pin = ref.digest is not None  # a pin is never dropped, whatever the rules
        add_pin = ref.digest is None and rules.pin is not False and (pin or rules.pin is True)
        if keep_pin or add_pin:
            from whichtag.files.pinning import pinned_text  # lazily: it reads YAML too

            plan.digest = await run.digest_of(dataclasses.replace(ref, tag=written))
            plan.new = pinned_text(text, written, plan.digest)
        else:
            plan.new = _tagged_text(text, written)
        plan.status = "available"
    except WhichtagError as error:
        plan.status, plan.error = "error", _message(error)
        plan.new = plan.digest = None
    return plan


async def _written(run: _Run, ref: Reference, target: Target) -> str:
    """The target at the tag's precision where that tag points at the same image as the
    full version, else the full version (asked: those two tags only)."""
    if target.precise is None or target.precise == target.full:
        return target.full
    full, precise = await asyncio.gather(
        run.digest_of(dataclasses.replace(ref, tag=target.full)),
        run.digest_of(dataclasses.replace(ref, tag=target.precise)),
    )
    return target.precise if precise == full else target.full


def _tagged_text(written: str, tag: str) -> str:
    """``name:TAG`` keeping the name as written, without a digest."""
    name = written.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    return f"{name}:{tag}"
