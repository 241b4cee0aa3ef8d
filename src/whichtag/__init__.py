"""whichtag: which tags point at the same image?

    >>> from whichtag import find_same_tags_sync
    >>> find_same_tags_sync("fluent/fluentd:latest").tags
    ['latest', 'stable', 'v0.12', 'v0.12.31']

The API is async-first (:func:`find_same_tags`, :func:`tag_map`, and :class:`Client` to ask
many questions over one set of connections) with blocking wrappers. :func:`version_name`
names a group of tags you already have:

    >>> from whichtag import version_name
    >>> version_name(["25.0.4_7-jdk", "25-jdk", "25", "latest"], asked="latest")
    '25.0.4_7-jdk'
"""

from typing import TYPE_CHECKING, Any

from whichtag.answer.client import (
    Client,
    find_same_tags,
    find_same_tags_sync,
    tag_map,
    tag_map_sync,
)
from whichtag.answer.options import Options
from whichtag.answer.outdated import InUse, Outdated, check_outdated
from whichtag.answer.results import Group, Result, TagError, TagMap
from whichtag.answer.upgrade import Rules, Upgrade, plan_upgrades
from whichtag.auth.credentials import Credentials
from whichtag.errors import WhichtagError
from whichtag.names.reference import Reference, parse_reference
from whichtag.names.versions import version_name

if TYPE_CHECKING:
    from whichtag.files.policy import Policy, load_policy

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``load_policy`` and ``Policy``, imported when first asked for (PyYAML and RE2 are not
    needed for ``whichtag --help``)."""
    if name in ("Policy", "load_policy"):
        from whichtag.files import policy

        return getattr(policy, name)
    raise AttributeError(f"module 'whichtag' has no attribute {name!r}")


__all__ = [
    "Client",
    "Credentials",
    "Group",
    "InUse",
    "Options",
    "Outdated",
    "Policy",
    "Reference",
    "Result",
    "Rules",
    "TagError",
    "TagMap",
    "Upgrade",
    "WhichtagError",
    "__version__",
    "check_outdated",
    "find_same_tags",
    "find_same_tags_sync",
    "load_policy",
    "parse_reference",
    "plan_upgrades",
    "tag_map",
    "tag_map_sync",
    "version_name",
]
