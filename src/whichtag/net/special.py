"""IANA's special-purpose address registries, pinned: which special ranges reach the internet.

Python's ``is_global`` and ``is_private`` changed between patch releases (and distributions
backport the changes), so the internal-address guard does not rest on them alone: this copy of
the registries decides the same way on every Python, and the guard takes the stricter of the
two answers (net/hosts.py).

Source: the IANA IPv4 Special-Purpose Address Registry and the IANA IPv6 Special-Purpose
Address Registry, https://www.iana.org/assignments/iana-ipv4-special-registry/ and
https://www.iana.org/assignments/iana-ipv6-special-registry/ (their CSV files), every row as
they stood on 2026-07-18; copied here on 2026-12-06. Only each row's "Globally Reachable"
column is kept: True stays True; False and "N/A" (Teredo 2001::/32 and 6to4 2002::/16, whose
reachability IANA does not vouch for) are False. Rows with a termination date and no flags
decide nothing and are left out: 192.88.99.0/24 (the 6to4 relay anycast prefix, deprecated
2015-03; its own 192.88.99.2/32 row stays) and 2001:10::/28 (the first ORCHID, inside the
not-reachable 2001::/23). Multicast (224.0.0.0/4, ff00::/8) has registries of its own and is
judged in net/hosts.py.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: (address block, globally reachable) as IANA lists them
_ROWS: tuple[tuple[str, bool], ...] = (
    # IPv4
    ("0.0.0.0/8", False),  # "This network"
    ("0.0.0.0/32", False),  # "This host on this network"
    ("10.0.0.0/8", False),  # Private-Use
    ("100.64.0.0/10", False),  # Shared Address Space (carrier NAT; clouds' metadata services)
    ("127.0.0.0/8", False),  # Loopback
    ("169.254.0.0/16", False),  # Link Local
    ("172.16.0.0/12", False),  # Private-Use
    ("192.0.0.0/24", False),  # IETF Protocol Assignments
    ("192.0.0.0/29", False),  # IPv4 Service Continuity Prefix
    ("192.0.0.8/32", False),  # IPv4 dummy address
    ("192.0.0.9/32", True),  # Port Control Protocol Anycast
    ("192.0.0.10/32", True),  # Traversal Using Relays around NAT Anycast
    ("192.0.0.170/32", False),  # NAT64/DNS64 Discovery
    ("192.0.0.171/32", False),  # NAT64/DNS64 Discovery
    ("192.0.2.0/24", False),  # Documentation (TEST-NET-1)
    ("192.31.196.0/24", True),  # AS112-v4
    ("192.52.193.0/24", True),  # AMT
    ("192.88.99.2/32", False),  # 6a44-relay anycast address
    ("192.168.0.0/16", False),  # Private-Use
    ("192.175.48.0/24", True),  # Direct Delegation AS112 Service
    ("198.18.0.0/15", False),  # Benchmarking
    ("198.51.100.0/24", False),  # Documentation (TEST-NET-2)
    ("203.0.113.0/24", False),  # Documentation (TEST-NET-3)
    ("240.0.0.0/4", False),  # Reserved
    ("255.255.255.255/32", False),  # Limited Broadcast
    # IPv6
    ("::1/128", False),  # Loopback Address
    ("::/128", False),  # Unspecified Address
    ("::ffff:0:0/96", False),  # IPv4-mapped Address (net/hosts.py judges the IPv4 instead)
    ("64:ff9b::/96", True),  # IPv4-IPv6 Translat. (net/hosts.py judges the IPv4 too)
    ("64:ff9b:1::/48", False),  # IPv4-IPv6 Translat. (local use)
    ("100::/64", False),  # Discard-Only Address Block
    ("100:0:0:1::/64", False),  # Dummy IPv6 Prefix
    ("2001::/23", False),  # IETF Protocol Assignments
    ("2001::/32", False),  # TEREDO ("N/A")
    ("2001:1::1/128", True),  # Port Control Protocol Anycast
    ("2001:1::2/128", True),  # Traversal Using Relays around NAT Anycast
    ("2001:1::3/128", True),  # DNS-SD Service Registration Protocol Anycast
    ("2001:2::/48", False),  # Benchmarking
    ("2001:3::/32", True),  # AMT
    ("2001:4:112::/48", True),  # AS112-v6
    ("2001:20::/28", True),  # ORCHIDv2
    ("2001:30::/28", True),  # Drone Remote ID Protocol Entity Tags (DETs) Prefix
    ("2001:db8::/32", False),  # Documentation
    ("2002::/16", False),  # 6to4 ("N/A")
    ("2620:4f:8000::/48", True),  # Direct Delegation AS112 Service
    ("3fff::/20", False),  # Documentation
    ("5f00::/16", False),  # Segment Routing (SRv6) SIDs
    ("fc00::/7", False),  # Unique-Local
    ("fe80::/10", False),  # Link-Local Unicast
)

# most specific first: a row inside another (192.0.0.9/32 in 192.0.0.0/24) decides for it
_BLOCKS = sorted(
    ((ipaddress.ip_network(block), reachable) for block, reachable in _ROWS),
    key=lambda row: -row[0].prefixlen,
)


def globally_reachable(address: IPAddress) -> bool | None:
    """What IANA says of the most specific special-purpose block holding ``address``: True
    (globally reachable), False (not, or not vouched for); None when no block holds it."""
    for block, reachable in _BLOCKS:
        if address.version == block.version and address in block:
            return reachable
    return None
