"""The README's demo: a real registry, the fluent/fluentd-like sample, and whichtag on it.

Each step says what it does as it goes. The sample's images have real tar layers, so
``podman pull`` (or ``docker pull``) works against the demo registry and ``--local`` can be
tried on what was pulled. ``--keep`` leaves the registry running afterwards and prints what
to try next and how to stop it (the stop command removes its storage too).
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from testkit.registry import RegistryProcess
from testkit.seed import NGINX_GROUPS, Pusher, seed_fluentd, seed_groups


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description="whichtag against a real local registry")
    parser.add_argument("--keep", action="store_true", help="leave the registry running")
    args = parser.parse_args()
    step("starting a CNCF distribution registry on a free loopback port")
    registry = RegistryProcess(detached=args.keep).start()
    files = Path(tempfile.mkdtemp(prefix="whichtag-demo-"))
    try:
        pusher = Pusher(registry.url)
        step(f"pushing fluent/fluentd (tags modelled on the real image) to {registry.host}")
        digests = seed_fluentd(pusher, runnable=True)
        step("pushing library/nginx (tag groups from the official image)")
        nginx = seed_groups(pusher, "library/nginx", NGINX_GROUPS, runnable=True)
        step(f"pushed {len(digests)} + {len(nginx)} tags; asking whichtag\n")
        host = registry.host
        compose = files / "compose.yaml"
        compose.write_text(
            f"services:\n  web:\n    image: {host}/library/nginx:1.26\n"
            f"  logs:\n    image: {host}/fluent/fluentd:v0.12\n"
        )
        commands = [
            ["whichtag", f"{host}/fluent/fluentd:latest"],
            ["whichtag", f"{host}/fluent/fluentd@{digests['latest']}", "--json"],
            ["whichtag", f"{host}/library/nginx:latest", f"{host}/library/nginx:stable-alpine"],
            ["whichtag", "map", f"{host}/library/nginx"],
            ["whichtag", "outdated", compose.name],  # which versions a file uses, what is newer
        ]
        for command in commands:
            print("$ " + shlex.join(command), flush=True)
            code = subprocess.call([sys.executable, "-m", "whichtag", *command[1:]], cwd=files)
            print(flush=True)
            if code != 0:
                return code
    except BaseException:
        registry.stop()
        raise
    finally:
        shutil.rmtree(files, ignore_errors=True)
    if not args.keep:
        registry.stop()
        print("Done. Run scripts/demo.sh --keep to keep the registry and try your own commands.")
        return 0
    _what_next(registry)
    return 0


def _what_next(registry: RegistryProcess) -> None:
    bin_dir = Path(sys.executable).parent
    host = registry.host
    print(f"The registry is still running at {host} (pid {registry.pid}).")
    print(f'Put whichtag on PATH for this shell:  export PATH="{bin_dir}:$PATH"')
    print("Then try:")
    print(f"  whichtag {host}/fluent/fluentd:v0.12")
    print(f"  whichtag {host}/fluent/fluentd:edge --json")
    print(f"  whichtag map {host}/library/nginx --match '^1\\.2' --json")
    print(f"  echo 'FROM {host}/library/nginx:latest' > Dockerfile")
    print("  whichtag pin --version-tag --dry-run Dockerfile")
    if shutil.which("podman"):
        print("A local image, as --local sees it (the images are real; podman pulls them):")
        print(f"  podman pull --tls-verify=false {host}/fluent/fluentd:latest")
        print("  podman system service --time=0 unix:///tmp/whichtag-podman.sock &")
        print("  export DOCKER_HOST=unix:///tmp/whichtag-podman.sock")
        print(f"  whichtag --local {host}/fluent/fluentd:latest")
    storage = shlex.quote(str(registry.folder))
    print(f"Stop it (and remove its storage) with:  kill {registry.pid} && rm -rf {storage}")


if __name__ == "__main__":
    raise SystemExit(main())
