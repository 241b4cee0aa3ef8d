"""whichtag: which tags point at the same image?

    >>> from whichtag import find_same_tags_sync
    >>> find_same_tags_sync("fluent/fluentd:latest").tags
    ['latest', 'stable', 'v0.12', 'v0.12.31']

The API is async-first (:func:`find_same_tags`, :func:`tag_map`, and :class:`Client` to ask
many questions over one set of connections) with blocking wrappers.
"""

from whichtag.answer.client import (
    Client,
    find_same_tags,
    find_same_tags_sync,
    tag_map,
    tag_map_sync,
)
from whichtag.answer.options import Options
from whichtag.answer.results import Group, Result, TagError, TagMap
from whichtag.auth.credentials import Credentials
from whichtag.errors import WhichtagError
from whichtag.names.reference import Reference, parse_reference

__version__ = "0.1.0"

__all__ = [
    "Client",
    "Credentials",
    "Group",
    "Options",
    "Reference",
    "Result",
    "TagError",
    "TagMap",
    "WhichtagError",
    "__version__",
    "find_same_tags",
    "find_same_tags_sync",
    "parse_reference",
    "tag_map",
    "tag_map_sync",
]
