"""A real forward proxy for tests: Debian's tinyproxy on a free loopback port.

It runs in a private mount namespace whose ``/etc/hosts`` maps the given names to 127.0.0.1,
so those names resolve for the proxy only: a lookup of such a name that works proves the
client went through the proxy. With ``credentials`` the proxy demands Basic proxy auth.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from testkit.registry import free_port

TINYPROXY = "/usr/bin/tinyproxy"


class ForwardProxy:
    def __init__(self, names: list[str], *, credentials: tuple[str, str] | None = None) -> None:
        self.port = free_port()
        self.names = names
        self.credentials = credentials
        self._dir = Path(tempfile.mkdtemp(prefix="whichtag-proxy-"))
        self._process: subprocess.Popen[bytes] | None = None
        self.log_path = self._dir / "tinyproxy.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ForwardProxy:
        if not Path(TINYPROXY).exists():
            raise RuntimeError(f"{TINYPROXY} is missing: apt-get install -y tinyproxy")
        hosts = self._dir / "hosts"
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
        (self._dir / "tinyproxy.conf").write_text("\n".join(config) + "\n")
        script = (
            f"mount --bind {hosts} /etc/hosts && exec {TINYPROXY} -d -c {self._dir}/tinyproxy.conf"
        )
        self._process = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"tinyproxy exited: {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("tinyproxy did not start within 10 s")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> ForwardProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
