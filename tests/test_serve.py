"""``whichtag serve`` against a real registry whose version history moves while it runs:
the exporter as a process (scrapes checked by promtool, change events on stdout and at a
recording webhook, signals), and the service's rules in-process (readiness, one refresh at a
time, the Kubernetes source's errors as metrics)."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import types
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from testkit.front import Front, Reply, Request
from testkit.httpserver import LoopbackServer
from testkit.registry import RegistryProcess
from testkit.seed import Pusher

from whichtag.answer.options import Options
from whichtag.answer.outdated import InUse, Outdated
from whichtag.names.reference import parse_reference
from whichtag.names.versions import Updates
from whichtag.serve.collector import version_checker_samples
from whichtag.serve.events import changes, snapshot
from whichtag.serve.service import Config, Gathered, Service

SECRET = "T000/B000/webhook-secret-key"


@dataclass
class History:
    registry: RegistryProcess
    front: Front
    pusher: Pusher
    holder: dict[str, Callable[[Request], Reply | None]]

    def ref(self, repo: str, tag: str) -> str:
        return f"{self.front.host}/{repo}:{tag}"

    def push(self, repo: str, tags: list[str], seed: str) -> str:
        return self.pusher.push_group(repo, tags, seed)


@pytest.fixture(scope="module")
def history() -> Iterator[History]:
    with RegistryProcess() as registry:
        holder: dict[str, Callable[[Request], Reply | None]] = {}

        def override(request: Request) -> Reply | None:
            for name, answer in list(holder.items()):
                if name in request.path:
                    return answer(request)
            return None

        with Front(registry.host, override=override) as front:
            seeded = History(registry, front, Pusher(registry.url), holder)
            seeded.push("app/web", ["1.0.0", "1.0", "stable"], "web-100")
            seeded.push("app/other", ["2.0.0", "2.0"], "other-200")
            seeded.push("app/other", ["2.0.1", "2.0", "latest"], "other-201")
            seeded.push("app/quiet", ["3.0.0", "3.0"], "quiet-300")
            yield seeded


class Receiver:
    """A recording webhook: every POST's headers and JSON body."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], dict[str, Any]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length))
                receiver.got.append((dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = LoopbackServer(Handler)
        self.server.start()
        self.url = f"http://127.0.0.1:{self.server.port}/services/{SECRET}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _promtool(text: str) -> None:
    promtool = shutil.which("promtool") or "/usr/bin/promtool"
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


@dataclass
class Served:
    process: subprocess.Popen[str]
    port: int
    stderr_path: Path
    events: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    stdout: list[str] = field(default_factory=list)

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def scrape(self) -> str:
        """/metrics, checked by promtool every time."""
        status, text = self.get("/metrics")
        assert status == 200
        _promtool(text)
        return text

    def wait(self, check: Callable[[], bool], seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if check():
                return
            assert self.process.poll() is None, self.stderr_path.read_text()
            time.sleep(0.1)
        raise AssertionError("timed out")

    def ready(self) -> None:
        def up() -> bool:
            try:
                return self.get("/readyz")[0] == 200
            except OSError:
                return False

        self.wait(up)

    def event(self, kind: str, seconds: float = 20, **fields: Any) -> dict[str, Any]:
        """The next event of that kind (with those fields), skipping others."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=0.2)
            except queue.Empty:
                continue
            if event["event"] == kind and all(event.get(k) == v for k, v in fields.items()):
                return event
        raise AssertionError(f"no {kind} event; stdout: {self.stdout}")

    def stop(self) -> tuple[int, float, str]:
        start = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=10)
        return code, time.monotonic() - start, self.stderr_path.read_text()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(*argv: str, env: dict[str, str] | None = None, ready: bool = True) -> Served:
        port = _free_port()
        stderr_path = tmp_path / f"stderr-{port}"
        process = subprocess.Popen(
            [sys.executable, "-m", "whichtag", "serve", "--listen", f"127.0.0.1:{port}", *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr_path.open("w"),
            text=True,
            env={**os.environ, **(env or {})},
        )
        served = Served(process, port, stderr_path)

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                served.stdout.append(line)
                served.events.put(json.loads(line))

        threading.Thread(target=read, daemon=True).start()
        started.append(served)
        if ready:
            served.ready()
        return served

    yield start
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait()


def _dockerfile(path: Path, *refs: str) -> Path:
    path.write_text("".join(f"FROM {ref}\n" for ref in refs))
    return path


def _sample(text: str, name: str, *parts: str) -> list[str]:
    return [
        line
        for line in text.splitlines()
        if line.startswith(name + "{") and all(part in line for part in parts)
    ]


# -- the exporter as a process -----------------------------------------------------------


def test_a_moved_tag_and_a_new_release_become_events(
    history: History, serve: Callable[..., Served], tmp_path: Path
) -> None:
    receiver = Receiver()
    docker = tmp_path / "docker"
    docker.mkdir()
    (docker / "config.json").write_text(
        json.dumps({"auths": {history.front.host: {"auth": "dXNlcjpob3VuZHN0b290aA=="}}})
    )
    netrc = tmp_path / "netrc"  # a credential for every host of the machine, the webhook's too
    netrc.write_text("machine 127.0.0.1 login user password houndstooth\n")
    netrc.chmod(0o600)
    dockerfile = _dockerfile(
        tmp_path / "Dockerfile", history.ref("app/web", "stable"), history.ref("app/other", "2.0.0")
    )
    served = serve(
        str(dockerfile),
        "--interval",
        "500ms",
        "--log-format",
        "json",
        "--webhook",
        receiver.url,
        env={"DOCKER_CONFIG": str(docker), "NETRC": str(netrc)},
    )
    text = served.scrape()
    web = _sample(text, "whichtag_image_info", 'image="' + history.ref("app/web", "stable"))
    assert len(web) == 1 and 'version="1.0.0"' in web[0]
    assert _sample(text, "whichtag_image_checked", "app/web", 'source="file"')[0].endswith(" 1.0")
    update = _sample(text, "whichtag_image_update_available", "app/other")
    assert len(update) == 1 and 'kind="patch"' in update[0] and 'newest="2.0.1"' in update[0]
    assert "whichtag_last_refresh_success_timestamp_seconds " in text
    time.sleep(1.5)  # refreshes pass without a change: nothing said, not even the baseline
    assert served.stdout == [] and receiver.got == []

    # 1.0.1 comes out (news: a patch for the image stable names), then stable moves to it
    digest = history.push("app/web", ["1.0.1", "1.0"], "web-101")
    patch = served.event("release", newest="1.0.1")
    assert patch["kind"] == "patch" and patch["images"] == [history.ref("app/web", "stable")]
    manifest, media_type = history.pusher.get_manifest("app/web", digest)
    history.pusher.tag("app/web", ["stable"], manifest, media_type)
    moved = served.event("tag_moved")
    assert moved["tag"] == history.ref("app/web", "stable")
    assert moved["from"]["version"] == "1.0.0" and moved["to"]["version"] == "1.0.1"
    assert "1.0" in moved["also"] and "1.0.0 → 1.0.1" in moved["text"]
    history.push("app/other", ["2.1.0", "2.1"], "other-210")
    release = served.event("release", newest="2.1.0")
    assert release["kind"] == "minor" and release["images"] == [history.ref("app/other", "2.0.0")]

    def posted() -> list[tuple[str, str | None]]:
        return [(body["event"]["event"], body["event"].get("newest")) for _, body in receiver.got]

    served.wait(lambda: ("release", "2.1.0") in posted())
    assert posted() == [("release", "1.0.1"), ("tag_moved", None), ("release", "2.1.0")]
    for headers, body in receiver.got:
        assert {key.lower() for key in headers} & {"authorization", "cookie"} == set()
        assert body["text"] and "dXNlcjpob3VuZHN0b290aA" not in json.dumps(body)
    text = served.scrape()
    assert 'version="1.0.1"' in _sample(text, "whichtag_image_info", "app/web")[0]
    code, seconds, stderr = served.stop()
    assert code == 0 and seconds < 5
    assert SECRET not in stderr and "127.0.0.1" in stderr
    for line in stderr.splitlines():
        json.loads(line)  # --log-format json: one object per line
    receiver.server.stop()


def test_a_registry_down_is_unchecked_and_counted(
    history: History, serve: Callable[..., Served], tmp_path: Path
) -> None:
    closed = socket.socket()  # bound, never listening: refuses connections, and no other
    closed.bind(("127.0.0.1", 0))  # server can take the port meanwhile
    down = f"127.0.0.1:{closed.getsockname()[1]}"
    dockerfile = _dockerfile(
        tmp_path / "Dockerfile",
        f"{down}/app/gone:1.0",
        history.ref("app/quiet", "3.0.0"),
        history.ref("app/quiet", "3.0"),
    )
    history.front.seen.clear()
    served = serve(str(dockerfile), "--interval", "1h", "--compat", "version-checker")
    listings = [seen for seen in history.front.seen if "/app/quiet/tags/list" in seen.path]
    assert len(listings) == 1  # one listing per repository per refresh, whatever uses it
    text = served.scrape()
    gone = _sample(text, "whichtag_image_checked", "app/gone")
    assert len(gone) == 1 and gone[0].endswith(" 0.0")
    assert _sample(text, "whichtag_image_stale", "app/gone") == []
    assert _sample(text, "whichtag_image_update_available", "app/gone") == []
    errors = _sample(text, "whichtag_check_errors_total", f'registry="{down}"')
    assert errors and 'reason="unreachable"' in errors[0]
    assert _sample(text, "whichtag_image_checked", "app/quiet")[0].endswith(" 1.0")
    latest = _sample(text, "version_checker_is_latest_version")
    assert len(latest) == 2 and all("app/quiet" in line for line in latest)
    assert all(line.endswith(" 1.0") for line in latest)
    assert 'current_version="3.0.0"' in latest[0] and 'latest_version="3.0.0"' in latest[0]
    requests = _sample(text, "whichtag_registry_requests_total", history.front.host)
    assert any('code="200"' in line for line in requests)
    assert served.stop()[0] == 0
    closed.close()


def test_429_retry_after_is_waited_for(
    history: History, serve: Callable[..., Served], tmp_path: Path
) -> None:
    times: list[float] = []

    def throttle(request: Request) -> Reply | None:
        times.append(time.monotonic())
        if len(times) == 1:
            return Reply(429, {"Retry-After": "2", "RateLimit-Remaining": "0;w=60"})
        return None

    history.holder["/app/quiet/tags/list"] = throttle
    try:
        dockerfile = _dockerfile(tmp_path / "Dockerfile", history.ref("app/quiet", "3.0.0"))
        served = serve(str(dockerfile), "--interval", "1h")
        text = served.scrape()
    finally:
        history.holder.clear()
    assert len(times) >= 2 and times[1] - times[0] >= 1.9
    assert _sample(text, "whichtag_image_checked", "app/quiet")[0].endswith(" 1.0")
    assert _sample(text, "whichtag_registry_requests_total", 'code="429"')
    remaining = _sample(text, "whichtag_registry_ratelimit_remaining", history.front.host)
    assert remaining and remaining[0].endswith(" 0.0")
    assert served.stop()[0] == 0


def test_an_image_that_stops_being_checkable_and_comes_back(
    history: History, serve: Callable[..., Served], tmp_path: Path
) -> None:
    dockerfile = _dockerfile(tmp_path / "Dockerfile", history.ref("app/quiet", "3.0.0"))
    served = serve(str(dockerfile), "--interval", "300ms")
    gone = Reply(404, {"Content-Type": "application/json"}, b'{"errors":[{"code":"NAME_UNKNOWN"}]}')
    history.holder["/app/quiet/"] = lambda request: gone
    try:
        lost = served.event("uncheckable")
        assert lost["image"] == history.ref("app/quiet", "3.0.0") and lost["error"]
        checked = _sample(served.scrape(), "whichtag_image_checked", "app/quiet")
        assert checked[0].endswith(" 0.0")
    finally:
        history.holder.clear()
    back = served.event("checkable")
    assert back["image"] == history.ref("app/quiet", "3.0.0")
    assert served.stop()[0] == 0


def test_sigterm_during_a_refresh_stops_within_5_seconds(
    history: History, serve: Callable[..., Served], tmp_path: Path
) -> None:
    asked = threading.Event()

    def stall(request: Request) -> Reply | None:
        asked.set()
        time.sleep(8)  # a registry that does not answer while the refresh waits
        return None

    history.holder["/app/quiet/tags/list"] = stall
    try:
        dockerfile = _dockerfile(tmp_path / "Dockerfile", history.ref("app/quiet", "3.0.0"))
        served = serve(str(dockerfile), "--interval", "1h", ready=False)
        assert asked.wait(20)
        assert served.get("/readyz")[0] == 503 and served.get("/healthz")[0] == 200
        code, seconds, _ = served.stop()
    finally:
        history.holder.clear()
    assert code == 0 and seconds < 5


def test_sighup_rereads_the_files(
    history: History, serve: Callable[..., Served], tmp_path: Path
) -> None:
    dockerfile = _dockerfile(tmp_path / "Dockerfile", history.ref("app/quiet", "3.0.0"))
    served = serve(str(dockerfile), "--interval", "1h")
    assert _sample(served.scrape(), "whichtag_image_info", "app/other") == []
    _dockerfile(dockerfile, history.ref("app/quiet", "3.0.0"), history.ref("app/other", "2.0"))
    served.process.send_signal(signal.SIGHUP)
    served.wait(lambda: bool(_sample(served.scrape(), "whichtag_image_info", "app/other")))
    code, seconds, _ = served.stop()
    assert code == 0 and seconds < 5


def test_sighup_rereads_the_policy_file(
    history: History, serve: Callable[..., Served], tmp_path: Path
) -> None:
    """The policy file is read with the files: an ``ignore:`` added and a SIGHUP later, the
    image is no longer asked nor exported; a policy file broken meanwhile is logged and the
    one read before kept, never a crash."""
    (tmp_path / ".git").mkdir()
    policy = tmp_path / ".whichtag.yaml"
    policy.write_text("ignore: []\n")
    dockerfile = _dockerfile(
        tmp_path / "Dockerfile", history.ref("app/quiet", "3.0.0"), history.ref("app/other", "2.0")
    )
    served = serve(str(dockerfile), "--interval", "1h", "--config", str(policy))
    assert _sample(served.scrape(), "whichtag_image_info", "app/other")
    policy.write_text(f"ignore:\n  - '{history.front.host}/app/other'\n")
    served.process.send_signal(signal.SIGHUP)
    served.wait(lambda: not _sample(served.scrape(), "whichtag_image_info", "app/other"))
    assert _sample(served.scrape(), "whichtag_image_info", "app/quiet")
    policy.write_text("ignore: 7\n")  # not a list: logged, the policy read before is kept
    served.process.send_signal(signal.SIGHUP)
    served.wait(lambda: "file sources not re-read" in served.stderr_path.read_text())
    assert not _sample(served.scrape(), "whichtag_image_info", "app/other")
    code, _, stderr = served.stop()
    assert code == 0, stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    for argv in (["serve"], ["serve", ".", "--interval", "soon"], ["serve", ".", "--listen", "x"]):
        done = subprocess.run(
            [sys.executable, "-m", "whichtag", *argv], capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 2 and "Traceback" not in done.stderr


@pytest.mark.slow
def test_memory_over_100_fast_refreshes(
    history: History, serve: Callable[..., Served], tmp_path: Path
) -> None:
    refs = [
        history.ref("app/web", "1.0"),
        history.ref("app/other", "2.0"),
        history.ref("app/quiet", "3.0"),
    ]
    dockerfile = _dockerfile(tmp_path / "Dockerfile", *refs)
    served = serve(str(dockerfile), "--interval", "10ms", "--log-format", "json")

    def refreshes() -> int:
        return served.stderr_path.read_text().count('"refresh finished"')

    def rss() -> int:
        for line in Path(f"/proc/{served.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    served.wait(lambda: refreshes() >= 10, 60)
    early = rss()
    served.wait(lambda: refreshes() >= 110, 300)
    late = rss()
    logged = [json.loads(line) for line in served.stderr_path.read_text().splitlines()]
    seconds = [entry["seconds"] for entry in logged if entry["message"] == "refresh finished"]
    requests = sum(
        float(line.rpartition(" ")[2])
        for line in _sample(served.scrape(), "whichtag_registry_requests_total")
    )
    print(
        f"\nRSS after 10 refreshes {early} KiB, after 110 {late} KiB; a refresh of "
        f"{len(refs)} images took {sorted(seconds)[len(seconds) // 2]:.3f} s (median) and "
        f"{requests / len(seconds):.1f} requests"
    )
    assert late - early < 10 * 1024
    assert served.stop()[0] == 0


# -- the service's rules, in-process ------------------------------------------------------


def _service(**config: Any) -> Service:
    return Service(Config(**config), Options(), Gathered, emit=lambda line: None)


def test_readyz_answers_once_the_first_refresh_has_finished() -> None:
    from aiohttp.test_utils import TestClient, TestServer

    async def scenario() -> None:
        service = _service()
        release = asyncio.Event()

        async def places() -> list[InUse]:
            await release.wait()
            return []

        service._places = places  # type: ignore[method-assign]
        async with TestClient(TestServer(service.app())) as client:
            refresh = asyncio.ensure_future(service.refresh())
            await asyncio.sleep(0.05)
            assert (await client.get("/readyz")).status == 503
            assert (await client.get("/healthz")).status == 200
            release.set()
            await refresh
            assert (await client.get("/readyz")).status == 200

    asyncio.run(scenario())


def test_one_refresh_at_a_time() -> None:
    async def scenario() -> int:
        service = _service()
        running = most = 0

        async def places() -> list[InUse]:
            nonlocal running, most
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.05)
            running -= 1
            return []

        service._places = places  # type: ignore[method-assign]
        await asyncio.gather(service.refresh(), service.refresh(), service.refresh())
        return most

    assert asyncio.run(scenario()) == 1


def test_kubernetes_listing_errors_become_error_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in for the Kubernetes source (tested on its own): only how its errors are
    exported is checked here."""
    from prometheus_client import CollectorRegistry, generate_latest

    from whichtag.serve.collector import Collector

    listing = types.SimpleNamespace(
        uses=[], errors=[("team-a", "pods is forbidden: cannot list"), ("", "connection refused")]
    )

    async def list_uses(source: object) -> object:
        return listing

    stand_in = types.ModuleType("whichtag.serve.kubernetes")
    stand_in.list_uses = list_uses  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "whichtag.serve.kubernetes", stand_in)
    service = _service(kubernetes=object())
    asyncio.run(service.refresh())
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Collector(service.state))
    text = generate_latest(registry).decode()
    _promtool(text)
    assert 'whichtag_check_errors_total{reason="denied",registry="kubernetes"} 1.0' in text
    assert 'whichtag_check_errors_total{reason="unreachable",registry="kubernetes"} 1.0' in text


def test_version_checker_samples_leave_out_what_was_not_checked() -> None:
    place = {"source": "pod", "namespace": "web", "pod": "web-1", "container": "nginx"}
    current = Outdated(parse_reference("nginx:1.27.3"), "sha256:" + "a" * 64, version="1.27.3")
    current.where = [place]
    behind = Outdated(parse_reference("redis:7.4.2"), "sha256:" + "b" * 64, version="7.4.2")
    behind.updates = Updates(patch="7.4.3", minor="7.6.0")
    behind.where = [place]
    failed = Outdated(parse_reference("busybox:1.36"), None, version="1.36", errors=["down"])
    failed.where = [place]
    samples = list(version_checker_samples([current, behind, failed]))
    assert samples == [
        (
            ["docker.io/library/nginx", "1.27.3", "1.27.3", "web", "web-1", "nginx", "container"],
            1.0,
        ),
        (["docker.io/library/redis", "7.4.2", "7.6.0", "web", "web-1", "nginx", "container"], 0.0),
    ]


def _nginx(digest: str, version: str, aliases: list[str], **known: Any) -> Outdated:
    answer = Outdated(parse_reference("nginx:stable"), digest, version=version, **known)
    answer.where = [{"source": "file", "path": "Dockerfile", "line": 1}]
    answer.place_tags = ["stable"]
    answer.aliases = aliases
    return answer


def test_change_events_between_two_refreshes() -> None:
    old, new = "sha256:" + "1" * 64, "sha256:" + "2" * 64
    before = snapshot([_nginx(old, "1.27.3", ["1.27.3", "stable"], moved={"stable": False})])
    after = snapshot(
        [
            _nginx(
                new,
                "1.27.4",
                ["1.27.4", "1.27", "stable"],
                moved={"stable": False},
                updates=Updates(minor="1.28.0"),
            )
        ]
    )
    moved, release = changes(before, after)
    assert moved["text"] == "nginx:stable 1.27.3 → 1.27.4, also 1.27"
    assert moved["from"] == {"digest": old, "version": "1.27.3"}
    assert release["text"] == "nginx: 1.28.0 is out (minor update for nginx:stable)"
    assert changes(after, after) == []
    assert changes(snapshot([]), after) == []  # an image newly in use: its releases are no news
    # a running image whose tag moved on: the tag is followed where it points now
    running = _nginx(old, "1.27.3", [], moved={"stable": True}, tag_digest=new)
    assert snapshot([running]).tags == {"docker.io/library/nginx:stable": (new, None)}


def test_webhooks_from_flags_a_file_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from whichtag.errors import UsageError
    from whichtag.serve.command import _webhooks, build_parser

    listed = tmp_path / "webhooks"
    listed.write_text("https://hooks.example/from-file\n\n")
    monkeypatch.setenv("WHICHTAG_WEBHOOK_URL", "https://hooks.example/from-env")
    args = build_parser().parse_args(
        [".", "--webhook", "https://hooks.example/flag", "--webhook-file", str(listed)]
    )
    assert _webhooks(args) == [
        "https://hooks.example/flag",
        "https://hooks.example/from-file",
        "https://hooks.example/from-env",
    ]
    monkeypatch.setenv("WHICHTAG_WEBHOOK_URL", "hooks.example/T0/secret")
    with pytest.raises(UsageError) as refused:
        _webhooks(build_parser().parse_args(["."]))
    assert "secret" not in refused.value.message and "1" in refused.value.message


def test_outdated_needs_no_prometheus_client(
    history: History, run: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The text renderer and serve's collector read one model; only serve needs the library."""
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # as if not installed
    result = run(
        "outdated", "-f", "-", "--format", "prometheus", stdin=history.ref("app/quiet", "3.0.0")
    )
    assert result.code == 0
    _promtool(result.out)
    assert _sample(result.out, "whichtag_image_checked", "app/quiet")[0].endswith(" 1")
    served = run("serve", ".")
    assert served.code == 2 and "whichtag[serve]" in served.err
