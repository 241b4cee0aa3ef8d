"""Credentials: what whichtag may present to one registry host, never shown anywhere."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Credentials:
    """A username and password, or an identity (refresh) token, for exactly one host.

    ``repr`` and ``str`` never show the secret; ``source`` says where they came from
    (``--username``, a file, a helper) so errors and ``--debug`` can name it.
    """

    username: str = ""
    password: str = field(default="", repr=False)
    identity_token: str = field(default="", repr=False)
    source: str = "explicit"

    def __repr__(self) -> str:
        kind = "identity token" if self.identity_token else "password"
        return f"Credentials(username={self.username!r}, {kind}=<hidden>, source={self.source!r})"

    __str__ = __repr__

    @property
    def has_password(self) -> bool:
        return bool(self.username) and bool(self.password)
