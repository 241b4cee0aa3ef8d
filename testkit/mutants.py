"""The curated mutants: plausible one-line bugs, each breaking one rule whichtag promises.

``scripts/mutate.sh`` applies each alone to a scratch copy and runs the tests named here, then
the whole suite; a mutant no test kills is a rule nothing protects. A mutant whose original
text no longer occurs exactly once is stale and fails the run: edit it with the code it
guards. Every issue that adds a rule adds its mutants here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str  # path under the repository root
    original: str  # must occur exactly once in the file
    mutated: str
    rule: str  # what the README or docs/reliability.md promises, which this breaks
    tests: tuple[str, ...]  # pytest node ids expected to kill it


AUTHORIZER = "src/whichtag/auth/authorizer.py"
SOURCES = "src/whichtag/auth/sources.py"
REGISTRY = "src/whichtag/registry.py"
TRANSPORT = "src/whichtag/transport.py"
LOOKUP = "src/whichtag/lookup.py"
HOSTS = "src/whichtag/hosts.py"

MUTANTS: list[Mutant] = [
    # -- where credentials may go ---------------------------------------------------------------
    Mutant(
        "attach-any-origin",
        AUTHORIZER,
        "if value is None or origin_of(url) != home:",
        "if value is None:",
        "Authorization only to the origin it is meant for, checked on every hop",
        (
            "tests/test_trust.py::test_token_stays_home_when_a_redirect_comes_back",
            "tests/test_hostile.py::test_redirect_to_another_host_carries_no_authorization",
        ),
    ),
    Mutant(
        "learn-from-other-origin",
        AUTHORIZER,
        "        if not self.is_registry_origin(response.url):\n            raise AuthError(",
        "        if False:\n            raise AuthError(",
        "challenges are learned only from the registry's own origin",
        ("tests/test_trust.py::test_ping_redirected_to_a_host_that_challenges_gets_nothing",),
    ),
    Mutant(
        "realm-http-for-https",
        AUTHORIZER,
        'if registry.scheme == "https":',
        "if False:",
        "a plain-HTTP realm for an HTTPS registry is refused",
        ("tests/test_hostile.py::test_realm_rules",),
    ),
    Mutant(
        "realm-clear-text-elsewhere",
        AUTHORIZER,
        "if with_credentials and not (same_host or both_loopback):",
        "if False:",
        "credentials in clear only to the host the user named",
        (
            "tests/test_trust.py::test_plain_http_realm_rules",
            "tests/test_trust.py::test_plain_http_realm_on_another_host_never_gets_the_password",
        ),
    ),
    Mutant(
        "realm-credentials-flag",
        AUTHORIZER,
        "with_credentials=credentials is not None",
        "with_credentials=False",
        "the clear-text realm rule is applied when there are credentials",
        ("tests/test_trust.py::test_plain_http_realm_on_another_host_never_gets_the_password",),
    ),
    Mutant(
        "realm-internal-address",
        AUTHORIZER,
        "if is_internal_address(realm_host) and not (same_host",
        "if False and not (same_host",
        "a public registry's realm may not be an internal address",
        ("tests/test_hostile.py::test_realm_rules",),
    ),
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
        "src/whichtag/links.py",
        "if not same_origin(request_url, resolved):",
        "if False:",
        "Link is followed only to the same origin",
        (
            "tests/test_parsers.py::test_link_resolution_same_origin_only",
            "tests/test_hostile.py::test_link_to_another_host_is_not_followed",
        ),
    ),
    Mutant(
        "link-against-redirect-target",
        REGISTRY,
        "url = resolve_next_page(url, target)",
        "url = resolve_next_page(response.url, target)",
        "Link resolved against the registry, never a host a redirect led to",
        ("tests/test_trust.py::test_tag_list_redirected_then_link_on_the_other_host_gets_nothing",),
    ),
    Mutant(
        "userinfo-in-server-url",
        "src/whichtag/urls.py",
        'if "@" in parts.netloc:',
        "if False:",
        "server URLs with user info are refused",
        ("tests/test_trust.py::test_malformed_server_urls_are_clean_errors",),
    ),
    Mutant(
        "origin-default-port",
        "src/whichtag/urls.py",
        "port = parts.port if parts.port is not None else DEFAULT_PORTS.get(scheme, 0)",
        "port = parts.port or 0",
        "https://h and https://h:443 are one origin",
        ("tests/test_trust.py::test_origins",),
    ),
    Mutant(
        "redact-userinfo",
        "src/whichtag/errors.py",
        'netloc = parts.netloc.rsplit("@", 1)[-1]',
        "netloc = parts.netloc",
        "URLs in messages carry no user info",
        ("tests/test_transport.py::test_redaction",),
    ),
    # -- where credentials come from ------------------------------------------------------------
    Mutant(
        "helper-key-prefix",
        SOURCES,
        'for _key, name in _entries_by_scope(helpers).get((host, ""), []):',
        "for _key, name in [e for k, v in _entries_by_scope(helpers).items()"
        " if host.startswith(k[0]) for e in v]:",
        "credHelpers keys match the host exactly",
        ("tests/test_rules.py::test_credential_helper_keys_match_the_host_exactly",),
    ),
    Mutant(
        "auths-key-prefix",
        SOURCES,
        "for key, entry in by_scope.get(scope, []):",
        "for key, entry in [e for k, v in by_scope.items()"
        " if k[0].startswith(scope[0].split(':')[0]) and k[1] == scope[1] for e in v]:",
        "auths keys match the host exactly (no other port, no prefix)",
        (
            "tests/test_credentials.py::test_auths_key_choice",
            "tests/test_credentials.py::test_host_matching_is_exact",
        ),
    ),
    Mutant(
        "scheme-key-keeps-path",
        SOURCES,
        'path = "" if had_scheme else path.rstrip("/")',
        'path = path.rstrip("/")',
        "a key with a scheme means the whole host",
        ("tests/test_credentials.py::test_auths_key_choice",),
    ),
    Mutant(
        "exact-key-not-first",
        SOURCES,
        "        return (0, key)",
        "        return (3, key)",
        "the exact spelling of a key wins over its aliases",
        ("tests/test_credentials.py::test_auths_key_choice",),
    ),
    Mutant(
        "auths-before-store",
        SOURCES,
        "    if isinstance(store, str) and store:\n        return _ask_helper(",
        "    if isinstance(store, str) and store and not isinstance(auths, dict):\n"
        "        return _ask_helper(",
        "Docker's order: credsStore before auths",
        ("tests/test_credentials.py::test_docker_order_helper_then_store_then_auths",),
    ),
    Mutant(
        "failed-helper-falls-back",
        SOURCES,
        '                return _ask_helper(name, registry, f"credHelpers in {label}", context)',
        "                found = _ask_helper("
        'name, registry, f"credHelpers in {label}", context)\n'
        "                if found.credentials is not None:\n"
        "                    return found",
        "a failed helper never leads to other credentials being sent (CVE-2021-41092)",
        ("tests/test_credentials.py::test_missing_helper_never_falls_back_to_other_credentials",),
    ),
    Mutant(
        "read-any-file",
        SOURCES,
        "        if not stat.S_ISREG(info.st_mode):\n",
        "        if False:\n",
        "only regular credential files are read",
        ("tests/test_credentials.py::test_credential_files_that_are_not_small_regular_files",),
    ),
    Mutant(
        "helper-output-uncapped",
        SOURCES,
        "            if len(into) > MAX_HELPER_OUTPUT:",
        "            if False:",
        "a helper's output is capped while it streams",
        ("tests/test_credentials.py::test_helper_flooding_its_output_is_stopped_at_the_cap",),
    ),
    Mutant(
        "helper-ignores-deadline",
        SOURCES,
        "limit = max(0.0, min(limit, deadline - time.monotonic()))",
        "limit = limit",
        "a helper is killed at the run's deadline",
        ("tests/test_credentials.py::test_hanging_helper_is_killed_at_the_run_deadline",),
    ),
    Mutant(
        "podman-run-default",
        SOURCES,
        '        elif sys.platform.startswith("linux"):',
        "        elif False:",
        "podman's primary auth file where XDG_RUNTIME_DIR is unset",
        ("tests/test_credentials.py::test_podman_primary_auth_file_without_xdg_runtime_dir",),
    ),
    # -- tokens ---------------------------------------------------------------------------------
    Mutant(
        "token-cache-without-scope",
        AUTHORIZER,
        'return (challenge.get("realm") or "", challenge.get("service") or "", scope)',
        'return (challenge.get("realm") or "", challenge.get("service") or "", "")',
        "one token per (realm, service, scope): never another repository's",
        ("tests/test_rules.py::test_tokens_are_cached_per_scope",),
    ),
    Mutant(
        "token-control-characters",
        AUTHORIZER,
        '_TOKEN_RE = re.compile(r"[\\x21-\\x7e]{1,65536}", re.ASCII)',
        '_TOKEN_RE = re.compile(r"[^\\n]{1,65536}")',
        "a token with controls or spaces is refused",
        ("tests/test_bounds.py::test_token_with_control_characters_is_a_clean_error",),
    ),
    Mutant(
        "refresh-post-fallback",
        AUTHORIZER,
        "_NO_OAUTH2_POST = frozenset({400, 401, 404, 405})",
        "_NO_OAUTH2_POST = frozenset({404, 405})",
        "refresh POST answered 400/401 falls back to GET (containerd)",
        ("tests/test_credentials.py::test_identity_token_in_auths_falls_back_to_get_without_post",),
    ),
    Mutant(
        "endless-401-retries",
        AUTHORIZER,
        "for attempt in (1, 2):",
        "for attempt in (1, 2, 3, 4):",
        "one retry after a 401, then an error",
        (
            "tests/test_hostile.py::test_401_loop_stops_after_one_retry",
            "tests/test_rules.py::test_a_bearer_401_after_a_fresh_token_is_retried_once",
        ),
    ),
    Mutant(
        "insufficient-scope-ignored",
        AUTHORIZER,
        "                    scope = wider\n",
        "                    pass\n",
        "insufficient_scope is retried with the scope asked for",
        ("tests/test_hostile.py::test_insufficient_scope_is_retried_with_the_scope_asked_for",),
    ),
    # -- transport, retries, bounds ------------------------------------------------------------
    Mutant(
        "tls-failure-retried",
        TRANSPORT,
        "if isinstance(error, TLSError) or attempt >= attempts:",
        "if attempt >= attempts:",
        "certificate failures fail at once, never retried",
        ("tests/test_rules.py::test_untrusted_certificate_is_not_retried",),
    ),
    Mutant(
        "retry-after-date-uncapped",
        "src/whichtag/throttle.py",
        "return min(max(0.0, when.timestamp() - time.time()), cap)",
        "return max(0.0, when.timestamp() - time.time())",
        "Retry-After in its HTTP-date form is capped",
        ("tests/test_rules.py::test_retry_after_http_date_is_capped",),
    ),
    Mutant(
        "retry-after-seconds-uncapped",
        "src/whichtag/throttle.py",
        "return min(float(value), cap)",
        "return float(value)",
        "Retry-After in seconds is capped",
        ("tests/test_parsers.py::test_retry_after_forms",),
    ),
    Mutant(
        "throttle-not-halved",
        "src/whichtag/throttle.py",
        "self.limit = max(1, self.limit // 2)",
        "self.limit = self.limit",
        "a 429 halves the origin's concurrency",
        ("tests/test_transport.py::test_throttle_halves_the_limit_and_delays_siblings",),
    ),
    Mutant(
        "gate-slot-leak-on-cancel",
        "src/whichtag/throttle.py",
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
    Mutant(
        "tag-page-cap-tiny",
        REGISTRY,
        "MAX_TAG_PAGE_BYTES = 16 * 1024 * 1024",
        "MAX_TAG_PAGE_BYTES = 16 * 1024",
        "a large single tag-list page is read whole",
        ("tests/test_rules.py::test_a_large_single_tag_page_is_read_whole",),
    ),
    Mutant(
        "manifest-cap-raised",
        "src/whichtag/manifest.py",
        "MAX_MANIFEST_BYTES = 4 * 1024 * 1024",
        "MAX_MANIFEST_BYTES = 64 * 1024 * 1024",
        "manifests over 4 MiB are refused",
        ("tests/test_hostile.py::test_huge_manifest_is_refused",),
    ),
    Mutant(
        "invalid-entries-uncounted",
        REGISTRY,
        "if len(listing.tags) + len(listing.invalid) > max_tags:",
        "if len(listing.tags) > max_tags:",
        "invalid tag-list entries count toward --max-tags",
        ("tests/test_bounds.py::test_a_page_of_invalid_entries_stops_at_the_tag_limit",),
    ),
    Mutant(
        "pagination-loop",
        REGISTRY,
        "            if url in seen_urls:\n",
        "            if False:\n",
        "a repeated tag-list page is a pagination loop",
        ("tests/test_hostile.py::test_endless_pagination_is_stopped",),
    ),
    Mutant(
        "warnings-uncapped",
        REGISTRY,
        "if len(self._warnings_seen) >= MAX_WARNINGS:",
        "if False:",
        "registry warnings are capped",
        ("tests/test_bounds.py::test_warnings_are_deduplicated_and_capped",),
    ),
    # -- digests and manifests ------------------------------------------------------------------
    Mutant(
        "head-digest-not-compared",
        REGISTRY,
        "if is_valid_digest(reference) and digest != reference:",
        "if False:",
        "a HEAD answering another digest for a digest is refused",
        ("tests/test_rules.py::test_head_answering_another_digest_for_a_digest_is_refused",),
    ),
    Mutant(
        "get-bytes-not-verified",
        REGISTRY,
        'if ":" in reference and digest != reference:',
        "if False:",
        "bytes fetched by digest must hash to that digest",
        ("tests/test_rules.py::test_get_fallback_verifies_the_bytes_against_the_digest_asked",),
    ),
    Mutant(
        "claimed-digest-ignored",
        REGISTRY,
        'if claimed.startswith(algorithm + ":") and claimed != digest:',
        "if False:",
        "a Docker-Content-Digest contradicting the bytes is an error",
        ("tests/test_hostile.py::test_wrong_digest_is_an_error",),
    ),
    Mutant(
        "ambiguous-manifest",
        "src/whichtag/manifest.py",
        'if "manifests" in document and ("layers" in document or "config" in document):',
        "if False:",
        "manifests with both 'manifests' and 'layers'/'config' are refused (CVE-2021-41190)",
        ("tests/test_hostile.py::test_ambiguous_manifest_is_rejected",),
    ),
    Mutant(
        "accept-without-index",
        "src/whichtag/manifest.py",
        "[OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST]",
        "[OCI_MANIFEST, DOCKER_MANIFEST]",
        "the digest is the one docker pull reports: the index digest for multi-arch tags",
        ("tests/test_lookup.py::test_multi_arch_reports_index_digest",),
    ),
    Mutant(
        "get-instead-of-head",
        REGISTRY,
        '            "HEAD", url, self.scope(repository), accept=MANIFEST_ACCEPT, body_cap=0',
        '            "GET", url, self.scope(repository), accept=MANIFEST_ACCEPT, body_cap=0',
        "a scan uses HEAD, which Docker Hub does not count as a pull",
        ("tests/test_rules.py::test_a_scan_asks_with_head_only",),
    ),
    # -- references -----------------------------------------------------------------------------
    Mutant(
        "no-library-prefix",
        "src/whichtag/reference.py",
        '        return DOCKER_HUB, f"library/{name}"',
        "        return DOCKER_HUB, name",
        "nginx is docker.io/library/nginx",
        ("tests/test_reference.py::test_normalisation",),
    ),
    Mutant(
        "domain-rule-without-port",
        "src/whichtag/reference.py",
        'if first == "localhost" or "." in first or ":" in first or first != first.lower():',
        'if first == "localhost" or "." in first or first != first.lower():',
        "a first component with ':' is a registry host",
        ("tests/test_reference.py::test_normalisation",),
    ),
    Mutant(
        "no-default-tag",
        "src/whichtag/reference.py",
        "        tag = DEFAULT_TAG\n",
        "        tag = None\n",
        "the default tag is latest",
        ("tests/test_reference.py::test_normalisation",),
    ),
    Mutant(
        "signature-prefix-match",
        "src/whichtag/tagnames.py",
        "return _SIGNATURE_TAG_RE.fullmatch(tag) is not None",
        "return _SIGNATURE_TAG_RE.match(tag) is not None",
        "only whole sha256-<hex>[.suffix] tags are signature tags",
        ("tests/test_rules.py::test_signature_tags_are_matched_whole",),
    ),
    # -- completeness, output and exit codes -----------------------------------------------------
    Mutant(
        "always-complete",
        LOOKUP,
        "        return not self.errors",
        "        return True",
        "an answer with failed tags is never complete",
        ("tests/test_faults.py::test_persistent_failures_are_listed_and_exit_3",),
    ),
    Mutant(
        "incomplete-exits-0",
        "src/whichtag/cli.py",
        "        return EXIT_INCOMPLETE",
        "        return EXIT_OK",
        "exit 3 when some tags could not be asked",
        ("tests/test_hostile.py::test_invalid_tag_names_are_reported_never_requested",),
    ),
    Mutant(
        "usage-errors-exit-1",
        "src/whichtag/cli.py",
        "            error.exit_code = EXIT_USAGE\n",
        "            pass\n",
        "options that do not fit together (--password-stdin without -u) are bad usage: exit 2",
        ("tests/test_lookup.py::test_bad_flags_are_usage_errors",),
    ),
    Mutant(
        "tag-missing-from-list-ignored",
        LOOKUP,
        "if ref.tag and not ref.digest and ref.tag not in listing.tags:",
        "if False:",
        "a resolved tag missing from the list makes the answer incomplete",
        ("tests/test_bounds.py::test_tag_missing_from_the_list_makes_the_answer_incomplete",),
    ),
    Mutant(
        "invalid-entries-unreported",
        LOOKUP,
        "        for tag in listing.invalid\n",
        "        for tag in []\n",
        "invalid tag names are listed as errors",
        ("tests/test_hostile.py::test_invalid_tag_names_are_reported_never_requested",),
    ),
    Mutant(
        "partial-tag-map",
        LOOKUP,
        "    if failed:\n",
        "    if False:\n",
        "tag_map never returns a partial map",
        ("tests/test_rules.py::test_tag_map_refuses_a_partial_map",),
    ),
    Mutant(
        "403-ends-the-scan",
        "src/whichtag/listers.py",
        "                except AccessDeniedError as error:\n"
        "                    result.errors[tag] = str(error)\n",
        "                except AccessDeniedError as error:\n"
        "                    fatal.append(error)\n"
        "                    return\n",
        "a 403 on one tag is that tag's error",
        ("tests/test_bounds.py::test_403_on_one_tag_is_that_tags_error",),
    ),
    Mutant(
        "terminal-unescaped",
        "src/whichtag/terminal.py",
        "    return _UNSAFE.sub(_escape, text)",
        "    return text",
        "server text is escaped before it reaches a terminal",
        ("tests/test_bounds.py::test_server_text_reaches_the_terminal_escaped",),
    ),
    # -- everyday networks (proxies, certs.d, set-up) and rough edges ----------------------------
    Mutant(
        "loopback-proxied",
        "src/whichtag/proxy.py",
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
        "src/whichtag/proxy.py",
        "        if any(rule.matches(host, port) for rule in self.bypass):\n",
        "        if False:\n",
        "NO_PROXY bypasses the proxy",
        ("tests/test_proxy.py::test_proxy_rules",),
    ),
    Mutant(
        "no-proxy-domain-itself",
        "src/whichtag/proxy.py",
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
        "src/whichtag/proxy.py",
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
        "src/whichtag/certs.py",
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
    Mutant(
        "gone-is-an-error",
        "src/whichtag/listers.py",
        "                        result.gone.append(tag)\n",
        "                        result.errors[tag] = str(error)\n",
        "a tag deleted during the scan does not make the answer incomplete",
        ("tests/test_edges.py::test_tag_deleted_during_the_scan_is_gone_not_missing",),
    ),
    Mutant(
        "digest-only-repository-not-found",
        LOOKUP,
        '        if not (ref.digest and error.code == "NAME_UNKNOWN"):\n',
        "        if True:\n",
        "a repository pushed by digest only answers: no tag points at this digest",
        ("tests/test_edges.py::test_repository_pushed_by_digest_only",),
    ),
    Mutant(
        "asked-signature-tag-skipped",
        LOOKUP,
        "kept = [tag for tag in tags if tag == asked or not is_signature_tag(tag)]",
        "kept = [tag for tag in tags if not is_signature_tag(tag)]",
        "a signature tag asked about is scanned and included",
        ("tests/test_edges.py::test_signature_tag_asked_about_is_scanned",),
    ),
    Mutant(
        "options-unchecked",
        LOOKUP,
        "    options.validate()\n    return await _with_registry(ref, options, _scan_for_target)",
        "    return await _with_registry(ref, options, _scan_for_target)",
        "the library checks Options as the command line checks flags",
        ("tests/test_edges.py::test_library_validates_options_like_the_cli",),
    ),
    Mutant(
        "broken-pipe-traceback",
        "src/whichtag/cli.py",
        "    except BrokenPipeError:\n",
        "    except ZeroDivisionError:\n",
        "a closed pipe ends quietly",
        ("tests/test_edges.py::test_closed_pipe_ends_quietly",),
    ),
]
