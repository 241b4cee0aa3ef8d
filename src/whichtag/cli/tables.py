"""Tables for people and for pipes: the same columns with a header line whether or not stdout
is a terminal (as ``docker ps`` and ``kubectl get`` print them), or tab-separated values with
the same header (``--format tsv``). Every cell is escaped first: tag names and messages come
from servers. Digests are shortened to ``sha256:`` and 12 hex digits unless ``--wide``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from whichtag.cli.style import Style
from whichtag.cli.terminal import printable

SHORT_DIGEST_HEX = 12
GAP = "  "


def short_digest(digest: str | None, *, wide: bool = False) -> str:
    """``sha256:3b7df0d8e7d3`` (``-`` for none); the whole digest when ``wide``."""
    if digest is None:
        return "-"
    if wide:
        return digest
    algorithm, _, hexpart = digest.partition(":")
    return f"{algorithm}:{hexpart[:SHORT_DIGEST_HEX]}" if hexpart else digest


def write_table(
    out: TextIO,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    tsv: bool = False,
    versions: int | None = None,
) -> None:
    """The header and the rows: aligned columns (the last one not padded), or TSV. On a
    terminal that wants colour the header is dim and column ``versions`` (version names)
    green."""
    cells = [[printable(cell) for cell in row] for row in [header, *rows]]
    if tsv:
        for row in cells:
            out.write("\t".join(row) + "\n")
        return
    widths = [max(len(row[index]) for row in cells) for index in range(len(header))]
    style = Style(out)
    for number, row in enumerate(cells):
        padded = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        if number == 0:
            out.write(style.dim(GAP.join(padded).rstrip()) + "\n")
            continue
        if versions is not None and row[versions] != "-":
            padded[versions] = style.version(padded[versions])
        out.write(GAP.join(padded).rstrip() + "\n")


class StreamingTable:
    """Rows written as they come (a batch prints each answer as soon as it is ready), in
    columns whose widths are fixed up front: known ones from the inputs, the others at a
    floor that a longer cell overflows rather than holding back the rows after it."""

    def __init__(
        self, out: TextIO, header: Sequence[str], widths: Sequence[int], *, tsv: bool = False
    ) -> None:
        self.out, self.tsv = out, tsv
        self.widths = [max(width, len(name)) for name, width in zip(header, widths, strict=True)]
        self._write(header, header_line=True)

    def row(self, cells: Sequence[str]) -> None:
        self._write(cells, header_line=False)

    def _write(self, cells: Sequence[str], *, header_line: bool) -> None:
        shown = [printable(cell) for cell in cells]
        if self.tsv:
            line = "\t".join(shown)
        else:
            line = GAP.join(
                cell.ljust(width) for cell, width in zip(shown, self.widths, strict=True)
            ).rstrip()
            if header_line:
                line = Style(self.out).dim(line)
        self.out.write(line + "\n")
        self.out.flush()
