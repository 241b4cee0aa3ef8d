"""Curated mutants of ``src/whichtag/net``.

The network room: transport, retries, bounds, proxies, certs.d, the resolver.
"""

from __future__ import annotations

from testkit.mutants.base import HOSTS, TRANSPORT, Mutant

MUTANTS: list[Mutant] = [
    # -- where credentials may go ------------------------------------------------------------------
    Mutant(
        "transport-accepts-authorization",
        TRANSPORT,
        'raise ValueError("Authorization is attached per hop by `authorize`, not in headers")',
        "pass",
        "only the authorizer attaches Authorization",
        ("tests/test_trust.py::test_transport_refuses_an_authorization_it_did_not_ask_for",),
    ),
    Mutant(
        "redirect-https-to-http",
        HOSTS,
        'if source.lower().startswith("https:") and parts.scheme.lower() == "http":',
        "if False:",
        "no redirect from HTTPS to plain HTTP",
        ("tests/test_transport.py::test_redirect_policy",),
    ),
    Mutant(
        "redirect-to-internal",
        HOSTS,
        'if not local_ok and is_internal_address(parts.hostname or ""):',
        "if False:",
        "a public registry cannot redirect to an internal address",
        (
            "tests/test_trust.py::test_public_registry_cannot_redirect_to_loopback_in_any_spelling",
            "tests/test_transport.py::test_redirect_policy",
        ),
    ),
    Mutant(
        "redirect-post-elsewhere",
        HOSTS,
        'if method == "POST" and not same_origin(source, target):',
        "if False:",
        "a token POST (password, refresh token) is never replayed to another origin",
        ("tests/test_transport.py::test_redirect_policy",),
    ),
    Mutant(
        "ipv4-spellings",
        HOSTS,
        "return ipaddress.IPv4Address(socket.inet_aton(host))",
        "return None",
        "the internal-address guard reads every IPv4 spelling the resolver accepts",
        (
            "tests/test_trust.py::test_internal_address_spellings",
            "tests/test_trust.py::test_public_registry_cannot_redirect_to_loopback_in_any_spelling",
        ),
    ),
    Mutant(
        "ipv4-mapped-ipv6",
        HOSTS,
        "return address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1",
        "return address",
        "::ffff:127.0.0.1 is loopback",
        ("tests/test_trust.py::test_internal_address_spellings",),
    ),
    Mutant(
        "link-other-origin",
        "src/whichtag/net/links.py",
        "if not same_origin(request_url, resolved):",
        "if False:",
        "Link is followed only to the same origin",
        (
            "tests/test_parsers.py::test_link_resolution_same_origin_only",
            "tests/test_hostile.py::test_link_to_another_host_is_not_followed",
        ),
    ),
    Mutant(
        "userinfo-in-server-url",
        "src/whichtag/net/urls.py",
        'if "@" in parts.netloc:',
        "if False:",
        "server URLs with user info are refused",
        ("tests/test_trust.py::test_malformed_server_urls_are_clean_errors",),
    ),
    Mutant(
        "origin-default-port",
        "src/whichtag/net/urls.py",
        "port = parts.port if parts.port is not None else DEFAULT_PORTS.get(scheme, 0)",
        "port = parts.port or 0",
        "https://h and https://h:443 are one origin",
        ("tests/test_trust.py::test_origins",),
    ),
    # -- transport, retries, bounds ----------------------------------------------------------------
    Mutant(
        "tls-failure-retried",
        TRANSPORT,
        "if isinstance(error, (TLSError, NameResolutionError)) or attempt >= attempts:",
        "if isinstance(error, NameResolutionError) or attempt >= attempts:",
        "certificate failures fail at once, never retried",
        ("tests/test_rules.py::test_untrusted_certificate_is_not_retried",),
    ),
    Mutant(
        "retry-after-date-uncapped",
        "src/whichtag/net/throttle.py",
        "return min(max(0.0, when.timestamp() - time.time()), cap)",
        "return max(0.0, when.timestamp() - time.time())",
        "Retry-After in its HTTP-date form is capped",
        ("tests/test_rules.py::test_retry_after_http_date_is_capped",),
    ),
    Mutant(
        "retry-after-seconds-uncapped",
        "src/whichtag/net/throttle.py",
        "return min(float(value), cap)",
        "return float(value)",
        "Retry-After in seconds is capped",
        ("tests/test_parsers.py::test_retry_after_forms",),
    ),
    Mutant(
        "throttle-not-halved",
        "src/whichtag/net/throttle.py",
        "self.limit = max(1, self.limit // 2)",
        "self.limit = self.limit",
        "a 429 halves the origin's concurrency",
        ("tests/test_transport.py::test_throttle_halves_the_limit_and_delays_siblings",),
    ),
    Mutant(
        "gate-slot-leak-on-cancel",
        "src/whichtag/net/throttle.py",
        "self.release()  # cancelled while waiting out Retry-After: free the slot",
        "pass",
        "a request cancelled during Retry-After frees its slot",
        ("tests/test_bounds.py::test_cancelled_while_waiting_out_retry_after_frees_the_slot",),
    ),
    Mutant(
        "no-retry-on-5xx",
        TRANSPORT,
        "RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})",
        "RETRY_STATUSES = frozenset({408})",
        "transient 5xx and 429 are retried",
        ("tests/test_faults.py::test_429_with_retry_after_is_waited_for",),
    ),
    Mutant(
        "compression-accepted",
        TRANSPORT,
        '"Accept-Encoding": "identity"',
        '"Accept-Encoding": "gzip, deflate"',
        "only identity encoding is accepted: bytes are hashed as sent",
        ("tests/test_bounds.py::test_no_compression_is_asked_for",),
    ),
    Mutant(
        "content-length-cap-ignored",
        TRANSPORT,
        "if length is not None and length > cap and not truncate:",
        "if False:",
        "an oversized body is refused from Content-Length before reading",
        ("tests/test_hostile.py::test_oversized_content_length_is_refused_early",),
    ),
    # -- everyday networks (proxies, certs.d, set-up) and rough edges ------------------------------
    Mutant(
        "loopback-proxied",
        "src/whichtag/net/proxy.py",
        "if proxy is None or not host or is_local_host(host):",
        "if proxy is None or not host:",
        "loopback hosts are never proxied",
        (
            "tests/test_proxy.py::test_loopback_is_never_proxied",
            "tests/test_proxy.py::test_proxy_rules",
        ),
    ),
    Mutant(
        "no-proxy-ignored",
        "src/whichtag/net/proxy.py",
        "        if any(rule.matches(host, port) for rule in self.bypass):\n",
        "        if False:\n",
        "NO_PROXY bypasses the proxy",
        ("tests/test_proxy.py::test_proxy_rules",),
    ),
    Mutant(
        "no-proxy-domain-itself",
        "src/whichtag/net/proxy.py",
        "self.match_domain_itself and host == self.domain[1:]",
        "False",
        "NO_PROXY example.com matches example.com itself",
        ("tests/test_proxy.py::test_proxy_rules",),
    ),
    Mutant(
        "proxy-credentials-dropped",
        TRANSPORT,
        """                headers = {**headers, "Proxy-Authorization": proxy.authorization}""",
        "                pass",
        "proxy credentials from the proxy URL reach the proxy",
        ("tests/test_proxy.py::test_proxy_credentials_go_to_the_proxy_only",),
    ),
    Mutant(
        "socks-silently-direct",
        "src/whichtag/net/proxy.py",
        """    if scheme.startswith("socks"):""",
        """    if scheme.startswith("socks"):\n        return None\n    if False:""",
        "a SOCKS proxy is a clear error, never a silent direct connection",
        ("tests/test_proxy.py::test_socks_proxy_is_a_clear_usage_error",),
    ),
    Mutant(
        "certs-d-ignored",
        TRANSPORT,
        "            if directory is not None:\n",
        "            if False:\n",
        "a registry's CA and client certificate are read from certs.d",
        ("tests/test_certs.py::test_ca_only_in_certs_d",),
    ),
    Mutant(
        "certs-d-any-host",
        "src/whichtag/net/certs.py",
        "        candidate = root / host_port\n",
        "        candidate = (\n"
        "            next(iter(root.iterdir()), root / host_port)\n"
        "            if root.is_dir()\n"
        "            else root / host_port\n"
        "        )\n",
        "certs.d material applies to its own host only",
        ("tests/test_certs.py::test_docker_certs_d_root_and_host_scoping",),
    ),
    Mutant(
        "refused-connection-backs-off",
        TRANSPORT,
        "attempts = min(CONNECT_ATTEMPTS, attempts)",
        "attempts = attempts",
        "a refused connection fails fast: one quick retry",
        ("tests/test_edges.py::test_refused_connection_fails_fast_and_says_it_retried",),
    ),
    # -- bulk listers ------------------------------------------------------------------------------
    Mutant(
        "vendor-429-waited-out",
        TRANSPORT,
        "if patience is not None and wait is not None and wait > patience:",
        "if False:",
        "a vendor API's 429 asking for more than a few seconds falls back at once",
        ("tests/test_hub.py::test_hub_429_far_off_falls_back_at_once",),
    ),
    Mutant(
        "x-retry-after-ignored",
        "src/whichtag/net/throttle.py",
        'return wait if wait is not None else parse_retry_at(headers.get("X-Retry-After"))',
        "return wait",
        "Hub's X-Retry-After (a unix time) is honoured like Retry-After",
        ("tests/test_hub.py::test_hub_429_far_off_falls_back_at_once",),
    ),
    # -- trust, second pass ------------------------------------------------------------------------
    Mutant(
        "httpoxy",
        "src/whichtag/net/proxy.py",
        'http_value = "" if environ.get("REQUEST_METHOD") else _env(environ, "HTTP_PROXY")',
        'http_value = _env(environ, "HTTP_PROXY")',
        "HTTP_PROXY is ignored in a CGI program (httpoxy)",
        ("tests/test_proxy.py::test_httpoxy_http_proxy_is_ignored_in_a_cgi_program",),
    ),
    Mutant(
        "client-certificate-any-hop",
        TRANSPORT,
        "certificate_origin is not None and origin_of(current_url) == certificate_origin",
        "True",
        "a certs.d client certificate is presented only on hops to the registry asked about",
        (
            "tests/test_certs.py::test_a_redirect_does_not_borrow_the_client_certificate",
            "tests/test_certs.py::test_the_client_certificate_goes_only_to_the_origin_named",
        ),
    ),
    Mutant(
        "resolved-address-unguarded",
        "src/whichtag/net/resolver.py",
        "                if _GUARDED.get():",
        "                if False:",
        "a redirect or realm from a public registry may not resolve to an internal address",
        (
            "tests/test_trust.py::test_a_redirect_to_a_name_resolving_internal_is_refused",
            "tests/test_trust.py::test_a_realm_named_by_a_public_registry_is_judged_by_its_addresses",
        ),
    ),
    # -- sixteen slips the suite once let through (tests/test_slips.py) ----------------------------
    Mutant(
        "retry-after-uncapped",
        TRANSPORT,
        "wait = min(wait, self.options.max_retry_after)",
        "wait = wait",
        "a Retry-After is waited at most max_retry_after",
        ("tests/test_slips.py::test_a_retry_after_is_capped_by_the_transport",),
    ),
    Mutant(
        "proxy-credentials-inside-the-tunnel",
        TRANSPORT,
        '            if url.startswith("https:"):\n                proxy_headers',
        "            if False:\n                proxy_headers",
        "Proxy-Authorization rides on the CONNECT only, never inside the tunnel",
        (
            "tests/test_proxy.py::test_https_through_an_authenticating_proxy_keeps_its_credentials_off_the_registry",
        ),
    ),
    Mutant(
        "certs-d-last-root-wins",
        "src/whichtag/net/certs.py",
        "    for root in roots:\n",
        "    for root in reversed(list(roots)):\n",
        "the first certs.d root holding the host wins",
        ("tests/test_slips.py::test_the_first_certs_d_root_holding_the_host_wins",),
    ),
    Mutant(
        "resolution-failure-forgotten",
        "src/whichtag/net/resolver.py",
        "                self._failed[host.lower()] = error\n",
        "                pass\n",
        "a name that failed to resolve is one answer for the run, not a lookup per request",
        ("tests/test_transport.py::test_a_name_that_does_not_resolve_is_asked_once",),
    ),
]
