"""The README's demo: a real registry, the fluent/fluentd-like sample, and whichtag on it.

``--keep`` leaves the registry running afterwards and prints its address and how to stop it,
so a new user can go on trying commands against it.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

from testkit.registry import RegistryProcess
from testkit.seed import NGINX_GROUPS, Pusher, seed_fluentd, seed_groups


def main() -> int:
    parser = argparse.ArgumentParser(description="whichtag against a real local registry")
    parser.add_argument("--keep", action="store_true", help="leave the registry running")
    args = parser.parse_args()
    registry = RegistryProcess(detached=args.keep).start()
    try:
        pusher = Pusher(registry.url)
        digests = seed_fluentd(pusher)
        nginx = seed_groups(pusher, "library/nginx", NGINX_GROUPS)
        print(
            f"registry running at {registry.host}; pushed fluent/fluentd with {len(digests)} "
            f"tags and library/nginx with {len(nginx)}\n"
        )
        host = registry.host
        commands = [
            ["whichtag", f"{host}/fluent/fluentd:latest"],
            ["whichtag", f"{host}/fluent/fluentd@{digests['latest']}", "--json"],
            ["whichtag", f"{host}/library/nginx:latest", f"{host}/library/nginx:stable-alpine"],
            ["whichtag", "map", f"{host}/library/nginx"],
        ]
        for command in commands:
            print("$ " + shlex.join(command), flush=True)
            code = subprocess.call([sys.executable, "-m", "whichtag", *command[1:]])
            print(flush=True)
            if code != 0:
                return code
    except BaseException:
        registry.stop()
        raise
    if not args.keep:
        registry.stop()
        return 0
    whichtag = Path(sys.executable).with_name("whichtag")
    print(f"The registry is still running at {registry.host} (pid {registry.pid}). Try:")
    print(f"  {whichtag} {registry.host}/fluent/fluentd:v0.12")
    print(f"  {whichtag} {registry.host}/fluent/fluentd:edge --json")
    print(f"  {whichtag} map {registry.host}/library/nginx --match '^1\\.2' --json")
    print(f"  echo 'FROM {registry.host}/library/nginx:latest' > Dockerfile")
    print(f"  {whichtag} pin --version-tag --dry-run Dockerfile")
    print(f"Stop it with: kill {registry.pid}  (its storage: {registry.storage})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
