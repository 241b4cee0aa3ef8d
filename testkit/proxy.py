"""A real forward proxy for tests: Debian's tinyproxy on a free loopback port.

It runs in a private mount namespace whose ``/etc/hosts`` maps the given names to 127.0.0.1,
so those names resolve for the proxy only: a lookup of such a name that works proves the
client went through the proxy. With ``credentials`` the proxy demands Basic proxy auth.
"""

from __future__ import annotations

from pathlib import Path

from testkit.service import Service

TINYPROXY = "/usr/bin/tinyproxy"


class ForwardProxy(Service):
    name = "tinyproxy"

    def __init__(self, names: list[str], *, credentials: tuple[str, str] | None = None) -> None:
        super().__init__()
        self.names = names
        self.credentials = credentials

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ForwardProxy:
        if not Path(TINYPROXY).exists():
            raise RuntimeError(f"{TINYPROXY} is missing: apt-get install -y tinyproxy")
        hosts = self.folder / "hosts"
        hosts.write_text(
            "127.0.0.1 localhost\n" + "".join(f"127.0.0.1 {name}\n" for name in self.names)
        )
        config = [
            f"Port {self.port}",
            "Listen 127.0.0.1",
            "Timeout 60",
            "Allow 127.0.0.1",
            "MaxClients 200",
            "LogLevel Connect",
            f'LogFile "{self.log_path}"',
            "DisableViaHeader Yes",
        ]
        if self.credentials:
            config.append(f"BasicAuth {self.credentials[0]} {self.credentials[1]}")
        conf = self.folder / "tinyproxy.conf"
        conf.write_text("\n".join(config) + "\n")
        script = f"mount --bind {hosts} /etc/hosts && exec {TINYPROXY} -d -c {conf}"
        self._launch(["unshare", "--mount", "--propagation", "private", "sh", "-c", script])
        return self
