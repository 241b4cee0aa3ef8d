"""``ARG`` defaults in Dockerfile image references, with Docker's scoping: an ARG before the
first FROM is global and usable in every FROM line; inside a stage (COPY --from, RUN
--mount=from=) only the stage's own ARGs count, ``ARG NAME`` without a value taking the
global default. A reference made wholly by one variable is pinned in its ARG line (or in the
``${NAME:-default}`` default of the FROM line when the default is used); one an ARG only
supplies part of is pinned on its own line, and only when each ARG it uses feeds no other
image line (otherwise pinning one line would leave the others, or the ARG, wrong)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from whichtag.files.variables import Variable, expand, pieces

if TYPE_CHECKING:
    from collections.abc import Callable

_WORD_RE = re.compile(r"\S+")
_ARG_START_RE = re.compile(r"\s*ARG\s", re.IGNORECASE)


@dataclass(frozen=True)
class Arg:
    """One ARG declaration: its value (None: declared without one) and where the value's
    characters are (inside any quotes)."""

    name: str
    value: str | None
    line: int = -1
    start: int = -1


@dataclass(frozen=True)
class Use:
    """An image word built from variables, waiting for every line to be read (an ARG's
    uses are counted before deciding where its digest may go)."""

    number: int
    start: int
    word: str
    platform: str | None
    scope: dict[str, Arg]


def arg_line(line: str, number: int) -> list[Arg] | None:
    """``ARG NAME[=value] ...``: each declaration, its value's span inside quotes kept;
    None for another line."""
    if not _ARG_START_RE.match(line):
        return None
    args = []
    for word in list(_WORD_RE.finditer(line))[1:]:
        name, equals, value = word[0].partition("=")
        if not name or not (name[0].isalpha() or name[0] == "_"):
            break  # a comment or something not read: stop there
        if not equals:
            args.append(Arg(name, None))
            continue
        start = word.start() + len(name) + 1
        if len(value) >= 2 and value[0] in "\"'" and value[-1] == value[0]:
            value, start = value[1:-1], start + 1
        args.append(Arg(name, value, number, start))
    return args


@dataclass
class Scopes:
    """The ARGs in scope: global ones for FROM lines, the stage's for the lines inside it."""

    globals: dict[str, Arg] = field(default_factory=dict)
    stage: dict[str, Arg] | None = None  # None before the first FROM
    uses: list[Use] = field(default_factory=list)

    def declare(self, args: list[Arg]) -> None:
        for arg in args:
            if self.stage is None:
                self.globals[arg.name] = arg
            elif arg.value is None:  # ARG NAME in a stage: the global default, if any
                self.stage[arg.name] = self.globals.get(arg.name, arg)
            else:
                self.stage[arg.name] = arg

    def new_stage(self) -> None:
        self.stage = {}

    def use(
        self, number: int, start: int, word: str, platform: str | None, *, in_from: bool
    ) -> None:
        """An image word built from variables, with the ARGs it names as they are here (only
        those: copying the whole scope for each use would cost the file's ARGs times its
        image lines)."""
        scope = self.globals if in_from or self.stage is None else self.stage
        named = [
            part.name
            for part in pieces(word, dollar_escape=False) or []
            if isinstance(part, Variable)
        ]
        known = {name: scope[name] for name in named if name in scope}
        self.uses.append(Use(number, start, word, platform, known))


def resolve_uses(
    scopes: Scopes,
    where: Callable[[int], str],
    cannot_pin: Callable[[str, str], None],
    take: Callable[..., None],
    skip: Callable[[str], bool],
) -> None:
    """Each image word built from variables: taken where its digest can be written, or
    reported as one that cannot be pinned, saying why."""
    feeds: dict[tuple[int, int], int] = {}
    for use in scopes.uses:
        for part in pieces(use.word, dollar_escape=False) or []:
            arg = use.scope.get(part.name) if isinstance(part, Variable) else None
            if arg is not None and arg.value is not None:
                key = (arg.line, arg.start)
                feeds[key] = feeds.get(key, 0) + 1
    taken: set[tuple[int, int]] = set()
    for use in scopes.uses:
        _resolve_use(use, feeds, taken, where, cannot_pin, take, skip)


def _resolve_use(
    use: Use,
    feeds: dict[tuple[int, int], int],
    taken: set[tuple[int, int]],
    where: Callable[[int], str],
    cannot_pin: Callable[[str, str], None],
    take: Callable[..., None],
    skip: Callable[[str], bool],
) -> None:
    here = where(use.number)
    parts = pieces(use.word, dollar_escape=False)
    if parts is None:
        cannot_pin(here, f"the variables in {use.word} cannot be read")
        return
    texts: list[str] = []
    used: list[tuple[Variable, Arg | None, bool]] = []
    for part in parts:
        if isinstance(part, str):
            texts.append(part)
            continue
        arg = use.scope.get(part.name)
        expanded = expand(part, arg.value if arg is not None else None)
        if expanded is None:
            cannot_pin(
                here,
                f"{use.word}: ${part.name} has no value here (none given by ARG {part.name}="
                "... before the first FROM, or redeclared in this stage), so only --build-arg "
                "would give it",
            )
            return
        texts.append(expanded.text)
        used.append((part, arg, expanded.from_default))
    text = "".join(texts)
    if not text:
        cannot_pin(here, f"{use.word} expands to nothing")
        return
    if skip(text):
        return  # an earlier stage's name, or scratch
    if len(parts) == 1 and used:
        variable, arg, from_default = used[0]
        if from_default and variable.argument:  # ${NAME:-image}: the default, in this line
            start = use.start + variable.argument_start
            _once(taken, use.number, start, take, text, use.platform, variable.argument)
            return
        if arg is not None and arg.value is not None and not variable.operator.endswith("+"):
            _once(taken, arg.line, arg.start, take, text, use.platform, arg.value)
            return
    shared = [
        arg.name
        for _, arg, from_default in used
        if arg is not None
        and arg.value is not None
        and not from_default
        and feeds.get((arg.line, arg.start), 0) > 1
    ]
    if shared:
        cannot_pin(
            here,
            f"ARG {shared[0]} supplies part of {use.word} and of other image lines too, so "
            "no one line can hold the digest (give the ARG the whole reference, or pin by hand)",
        )
        return
    literal_digest = "@" in use.word
    if "@" in text and not literal_digest:
        cannot_pin(here, f"the digest of {use.word} comes from a variable")
        return
    base = use.word[: use.word.rfind("@")] if literal_digest else use.word
    if (use.number, use.start) not in taken:
        taken.add((use.number, use.start))
        take(use.number, use.start, text, use.platform, written=use.word, form="suffix", base=base)


def _once(
    taken: set[tuple[int, int]],
    number: int,
    start: int,
    take: Callable[..., None],
    text: str,
    platform: str | None,
    written: str,
) -> None:
    """One reference per span: two FROM lines using one ARG pin it once."""
    if (number, start) in taken:
        return
    taken.add((number, start))
    take(number, start, text, platform, written=written)
