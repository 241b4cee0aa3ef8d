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
from testkit.seed import Pusher, seed_fluentd


def main() -> int:
    parser = argparse.ArgumentParser(description="whichtag against a real local registry")
    parser.add_argument("--keep", action="store_true", help="leave the registry running")
    args = parser.parse_args()
    registry = RegistryProcess(detached=args.keep).start()
    try:
        digests = seed_fluentd(Pusher(registry.url))
        print(
            f"registry running at {registry.host}; pushed fluent/fluentd with {len(digests)} tags\n"
        )
        commands = [
            ["whichtag", f"{registry.host}/fluent/fluentd:latest"],
            ["whichtag", f"{registry.host}/fluent/fluentd@{digests['latest']}", "--json"],
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
    print(f"Stop it with: kill {registry.pid}  (its storage: {registry.storage})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
