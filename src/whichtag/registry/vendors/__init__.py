"""Vendor APIs as bulk listers: many tags with their digests per request.

Each lister returns a :class:`BulkListing` or None; None means "list this repository the
generic way" and ``reason`` says why (shown under --debug). The answer is never partial.
The public vendor APIs are asked anonymously; ACR's, which lives on the registry's own host,
goes through the registry's Authorizer like every other registry request.
"""

from whichtag.auth.hub import HUB_API
from whichtag.registry.vendors.acr import AcrLister
from whichtag.registry.vendors.api import BulkListing
from whichtag.registry.vendors.harbor import HarborLister
from whichtag.registry.vendors.hub import HubLister
from whichtag.registry.vendors.quay import QUAY_API, QuayLister

__all__ = [
    "HUB_API",
    "QUAY_API",
    "AcrLister",
    "BulkListing",
    "HarborLister",
    "HubLister",
    "QuayLister",
]
