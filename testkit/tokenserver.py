"""A small token server for the registry's ``auth: token`` mode.

It signs RS256 JWTs with a key whose self-signed certificate travels in the ``x5c`` header
and is listed in the registry's ``rootcertbundle`` (what distribution 2.8 accepts). It serves
GET (anonymous or Basic credentials) and the OAuth2 POST (``grant_type=password`` and
``refresh_token``), and records every request so tests can assert what it received.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from testkit.httpserver import LoopbackServer, QuietHandler


@dataclass
class TokenRequest:
    method: str
    path: str
    authorization: str | None
    form: dict[str, str]


@dataclass
class TokenPolicy:
    """Who may pull: ``users`` maps name → password; anonymous pulls only if allowed."""

    users: dict[str, str] = field(default_factory=dict)
    anonymous_pull: bool = True
    expires_in: int = 300
    support_post: bool = True
    post_refusal: int = 405  # what a service without the OAuth2 POST answers it
    support_get: bool = True
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token → user
    grantable: frozenset[str] = frozenset({"pull"})  # actions a token may carry


def _signing_material(directory: str) -> tuple[Any, str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "whichtag test token issuer")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    bundle = os.path.join(directory, "token-root.pem")
    with open(bundle, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    return key, x5c, bundle


class TokenServer:
    """Runs in a thread on a free loopback port; ``realm`` is its token URL."""

    issuer = "whichtag-test-issuer"
    service = "whichtag-test-registry"

    def __init__(self, directory: str, policy: TokenPolicy | None = None) -> None:
        self.policy = policy or TokenPolicy()
        self._key, self._x5c, self.root_cert_bundle = _signing_material(directory)
        self.requests: list[TokenRequest] = []
        self._lock = threading.Lock()
        server = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
                server._record("GET", self.path, self.headers.get("Authorization"), query)
                if not server.policy.support_get:
                    self._send(405, {"details": "use the OAuth2 POST"})
                    return
                user = server._basic_user(self.headers.get("Authorization"))
                if not isinstance(user, str):
                    self._send(401, {"details": "incorrect username or password"})
                    return
                self._send(200, server._grant(user or None, query.get("scope", "")))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                form = {k: v[-1] for k, v in parse_qs(raw).items()}
                server._record("POST", self.path, self.headers.get("Authorization"), form)
                if not server.policy.support_post:
                    self._send(server.policy.post_refusal, {"details": "no OAuth2 POST here"})
                    return
                grant = form.get("grant_type")
                user: str | None = None
                if grant == "password":
                    name, password = form.get("username", ""), form.get("password", "")
                    if server.policy.users.get(name) != password:
                        self._send(401, {"details": "incorrect username or password"})
                        return
                    user = name
                elif grant == "refresh_token":
                    user = server.policy.refresh_tokens.get(form.get("refresh_token", ""))
                    if user is None:
                        self._send(401, {"details": "invalid refresh token"})
                        return
                else:
                    self._send(400, {"details": "unsupported grant_type"})
                    return
                answer = server._grant(user, form.get("scope", ""))
                answer["access_token"] = answer.pop("token")
                self._send(200, answer)

            def _send(self, status: int, document: dict[str, Any]) -> None:
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = LoopbackServer(Handler)
        self.port = self._server.port

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def start(self) -> TokenServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def _record(
        self, method: str, path: str, authorization: str | None, form: dict[str, str]
    ) -> None:
        with self._lock:
            self.requests.append(TokenRequest(method, path, authorization, form))

    def _basic_user(self, header: str | None) -> str | None:
        """The user name for valid Basic credentials, "" for none, None for wrong ones."""
        if not header:
            return ""
        if not header.startswith("Basic "):
            return None
        try:
            name, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
        return name if self.policy.users.get(name) == password else None

    def actions_in(self, authorization: str | None, repository: str) -> set[str]:
        """The actions on ``repository`` a ``Bearer`` token this server signed grants."""
        if not authorization or not authorization.startswith("Bearer "):
            return set()
        try:
            claims = jwt.decode(
                authorization[7:],
                self._key.public_key(),
                algorithms=["RS256"],
                audience=self.service,
            )
        except jwt.PyJWTError:
            return set()
        return {
            action
            for entry in claims.get("access", [])
            if entry.get("type") == "repository" and entry.get("name") == repository
            for action in entry.get("actions", [])
        }

    def _grant(self, user: str | None, scope: str) -> dict[str, Any]:
        access = []
        if user is not None or self.policy.anonymous_pull:
            for item in scope.split(" "):
                parts = item.split(":")
                if len(parts) >= 3 and parts[0] == "repository":
                    name = ":".join(parts[1:-1])
                    actions = [a for a in parts[-1].split(",") if a in self.policy.grantable]
                    access.append({"type": "repository", "name": name, "actions": actions})
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": user or "",
            "aud": self.service,
            "exp": now + self.policy.expires_in,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        token = jwt.encode(claims, self._key, algorithm="RS256", headers={"x5c": [self._x5c]})
        return {"token": token, "expires_in": self.policy.expires_in}
