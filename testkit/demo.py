"""The README's demo: a real registry, the fluent/fluentd-like sample, and whichtag on it."""

from __future__ import annotations

import shlex
import subprocess
import sys

from testkit.registry import RegistryProcess
from testkit.seed import Pusher, seed_fluentd


def main() -> int:
    with RegistryProcess() as registry:
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
