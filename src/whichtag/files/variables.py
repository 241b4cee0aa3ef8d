"""Variables in image references: ``$NAME``, ``${NAME}``, ``${NAME:-default}``,
``${NAME-default}``, ``${NAME:+alt}``, ``${NAME:?error}``, as Dockerfile FROM lines (BuildKit)
and compose files expand them. Read one character at a time, never with a pattern over the
text, so a hostile line costs linear time."""

from __future__ import annotations

from dataclasses import dataclass

OPERATORS = (":-", ":+", ":?", "-", "+", "?")


@dataclass(frozen=True)
class Variable:
    """One ``$NAME`` or ``${NAME<op><arg>}`` in a word: its offsets in the word, and those of
    its argument (the default of ``:-``/``-``)."""

    name: str
    operator: str  # "" for $NAME and ${NAME}
    argument: str
    start: int
    end: int
    argument_start: int


Piece = str | Variable


def _name_end(word: str, start: int) -> int:
    end = start
    if end < len(word) and (word[end].isascii() and (word[end].isalpha() or word[end] == "_")):
        end += 1
        while end < len(word) and word[end].isascii() and (word[end].isalnum() or word[end] == "_"):
            end += 1
    return end


def pieces(word: str, *, dollar_escape: bool) -> list[Piece] | None:
    """The word as literal text and variables, in order; None when it cannot be read (an
    unclosed ``${``, a variable inside a default, an operator not known). ``dollar_escape``:
    compose's ``$$`` is a literal ``$``."""
    parts: list[Piece] = []
    literal: list[str] = []
    index = 0
    while index < len(word):
        char = word[index]
        if char != "$":
            literal.append(char)
            index += 1
            continue
        if dollar_escape and word.startswith("$$", index):
            literal.append("$")
            index += 2
            continue
        if word.startswith("${", index):
            close = word.find("}", index + 2)
            if close < 0:
                return None
            end = _name_end(word, index + 2)
            if end == index + 2:
                return None
            rest = word[end:close]
            operator = next((op for op in OPERATORS if rest.startswith(op)), "")
            if rest and not operator:
                return None
            argument = rest[len(operator) :]
            if "$" in argument:
                return None  # a variable inside a default: not read
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(
                Variable(
                    word[index + 2 : end],
                    operator,
                    argument,
                    index,
                    close + 1,
                    end + len(operator),
                )
            )
            index = close + 1
            continue
        end = _name_end(word, index + 1)
        if end == index + 1:
            literal.append(char)
            index += 1
            continue
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(Variable(word[index + 1 : end], "", "", index, end, end))
        index = end
    if literal:
        parts.append("".join(literal))
    return parts


@dataclass(frozen=True)
class Expanded:
    """A variable's value as expanded: the text, and whether its default (``:-``/``-``)
    gave it rather than the variable's own value."""

    text: str
    from_default: bool


def expand(variable: Variable, value: str | None) -> Expanded | None:
    """The variable expanded against its value (None: not set); None when that cannot be
    known (a variable not set and without a default)."""
    op = variable.operator
    is_set = value is not None
    non_empty = bool(value)
    if op in (":-", "-"):
        if (non_empty if op == ":-" else is_set) and value is not None:
            return Expanded(value, False)
        return Expanded(variable.argument, True)
    if op in (":+", "+"):
        return Expanded(variable.argument if (non_empty if op == ":+" else is_set) else "", False)
    if value is None or (op == ":?" and not value):
        return None
    return Expanded(value, False)
