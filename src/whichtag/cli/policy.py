"""``--config FILE`` and ``--no-config``: which policy file (``.whichtag.yaml``) a run reads,
and the one line a run says about what it left out because of it."""

from __future__ import annotations

import argparse
import sys

from whichtag.cli.terminal import say
from whichtag.files.policy import Policy, find_policy, load_policy


def add_policy_options(parser: argparse.ArgumentParser) -> None:
    """The two flags, exclusive of each other."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--config",
        metavar="FILE",
        help="the policy file to read (default: the first .whichtag.yaml in this folder or "
        "its parents up to the repository root)",
    )
    group.add_argument(
        "--no-config", action="store_true", help="read no policy file (ignore comments still apply)"
    )


def policy_from(args: argparse.Namespace) -> Policy:
    """The policy the run follows: the file named, the one found, or none."""
    if getattr(args, "no_config", False):
        return Policy()
    path = getattr(args, "config", None) or find_policy()
    return load_policy(path) if path is not None else Policy()


def say_ignored(count: int, policy: Policy) -> None:
    """One summary line on stderr for everything ignored (silent when nothing was)."""
    if count:
        source = f"{policy.name} and comments" if policy.path else "comments"
        say(sys.stderr, f"whichtag: {count} reference(s) ignored by {source}")
