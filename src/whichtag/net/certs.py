"""Per-registry TLS material from ``certs.d`` directories, as docker and podman read them.

For a registry ``host[:port]`` the first existing directory among

- ``$HOME/.config/containers/certs.d/<host[:port]>/`` (podman, rootless),
- ``/etc/containers/certs.d/<host[:port]>/`` (podman),
- ``/etc/docker/certs.d/<host[:port]>/`` (docker)

is used (containers/image ``dockerCertDir`` order). In it, as docker's ``ReadCertsDirectory``:
``*.crt`` files are CA certificates added to the system's; each ``*.cert`` with the ``*.key``
of the same name is a client certificate for mutual TLS (one without the other is an error).
The material applies to that host only; ``--ca-cert`` still adds to every host. The client
certificate is a credential: presented only on hops to the registry the user asked about.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Sequence
from pathlib import Path

from whichtag.errors import TLSError


def default_cert_dirs() -> list[Path]:
    """The ``certs.d`` roots, in the order containers/image searches them."""
    home = Path(os.path.expanduser("~"))
    return [
        home / ".config" / "containers" / "certs.d",
        Path("/etc/containers/certs.d"),
        Path("/etc/docker/certs.d"),
    ]


def host_cert_dir(host_port: str, roots: Sequence[Path]) -> Path | None:
    """The first ``<root>/<host[:port]>`` directory that exists, or None."""
    if not host_port or "/" in host_port or host_port in (".", ".."):
        return None
    for root in roots:
        candidate = root / host_port
        if candidate.is_dir():
            return candidate
    return None


def context_for_dir(
    directory: Path, ca_cert: str | None, *, client_certificate: bool = True
) -> ssl.SSLContext:
    """A verifying context trusting the system's CAs, ``ca_cert`` and the directory's
    ``*.crt``, presenting the directory's client certificate if it has one and
    ``client_certificate`` allows it (the transport decides per hop: see Transport.request)."""
    context = ssl.create_default_context()
    try:
        if ca_cert:
            context.load_verify_locations(cafile=ca_cert)
        entries = sorted(directory.iterdir())
        for entry in entries:
            if entry.suffix == ".crt":
                context.load_verify_locations(cafile=str(entry))
        for entry in entries:
            if entry.suffix == ".cert":
                key = entry.with_suffix(".key")
                if not key.exists():
                    raise _bad(entry, f"client certificate without its key {key.name}")
                if client_certificate:
                    context.load_cert_chain(certfile=str(entry), keyfile=str(key))
            elif entry.suffix == ".key" and not entry.with_suffix(".cert").exists():
                raise _bad(entry, f"client key without its certificate {entry.stem}.cert")
    except (OSError, ssl.SSLError, ValueError) as error:
        raise _bad(directory, error.__class__.__name__) from None
    return context


def _bad(path: Path, why: str) -> TLSError:
    return TLSError(
        f"cannot use the TLS material in {path} ({why})",
        hint="certs.d holds CA files (*.crt) and client pairs (name.cert with name.key)",
    )
