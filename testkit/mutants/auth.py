"""Curated mutants of ``src/whichtag/auth``.

Credentials: where they come from, where they may go, tokens.
"""

from __future__ import annotations

from testkit.mutants.base import AUTHORIZER, SOURCES, Mutant

MUTANTS: list[Mutant] = [
    # -- where credentials may go ------------------------------------------------------------------
    Mutant(
        "attach-any-origin",
        AUTHORIZER,
        "if value is None or origin_of(url) != home:",
        "if value is None:",
        "Authorization only to the origin it is meant for, checked on every hop",
        (
            "tests/test_trust.py::test_token_stays_home_when_a_redirect_comes_back",
            "tests/test_hostile.py::test_redirect_to_another_host_carries_no_authorization",
            "tests/test_acr.py::test_the_token_does_not_go_to_another_api_origin",
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
    # -- where credentials come from ---------------------------------------------------------------
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
    # -- tokens ------------------------------------------------------------------------------------
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
    # -- what the answer means: version names, the map, pinning, many references -------------------
    Mutant(
        "hub-token-any-origin",
        "src/whichtag/auth/hub.py",
        'return f"Bearer {token}" if origin_of(url) == home else None',
        'return f"Bearer {token}"',
        "the Hub API token goes to the Hub API's origin only, on every hop",
        ("tests/test_hub.py::test_hub_token_does_not_follow_a_redirect_to_another_origin",),
    ),
    # -- exact by construction (bulk sources) ------------------------------------------------------
    Mutant(
        "harbor-basic-any-origin",
        AUTHORIZER,
        "has_password else None\n        return self._attach(value, self.origin)\n",
        "has_password else None\n        return lambda url: value\n",
        "the registry's Basic credentials go to the registry's origin only, on every hop",
        ("tests/test_harbor.py::test_the_registrys_credentials_never_go_to_another_api_origin",),
    ),
    # -- trust, second pass ------------------------------------------------------------------------
    Mutant(
        "scope-widened-by-challenge",
        AUTHORIZER,
        "                    scope = allowed\n",
        "                    scope = wider\n",
        "a challenge never widens the scope beyond pull of the repository asked",
        (
            "tests/test_hostile.py::test_insufficient_scope_never_widens_beyond_pull_of_the_repository",
        ),
    ),
    # -- sixteen slips the suite once let through (tests/test_slips.py) ----------------------------
    Mutant(
        "realm-host-suffix-match",
        AUTHORIZER,
        "same_host = realm_host == registry_host",
        "same_host = realm_host.endswith(registry_host)",
        "credentials over plain HTTP only to the registry's own host, not a suffix of it",
        ("tests/test_slips.py::test_a_realm_whose_host_ends_like_the_registrys_is_another_host",),
    ),
    Mutant(
        "revoked-token-resent",
        AUTHORIZER,
        "                    self.forget(scope, authorization)\n",
        "                    pass\n",
        "after a 401 the refused token is dropped and a fresh one fetched",
        ("tests/test_slips.py::test_a_revoked_token_is_replaced_not_resent",),
    ),
    # -- internal addresses and three missing tests ----------------------------------------------
    Mutant(
        "realm-gets-its-hosts-client-certificate",
        AUTHORIZER,
        "            # a realm gets the registry's client certificate only on the registry's own"
        " origin\n            certificate_origin=self.origin,\n",
        "            # a realm gets the registry's client certificate only on the registry's own"
        " origin\n            certificate_origin=origin_of(realm),\n",
        "a token request presents no client certificate of the realm's host",
        (
            "tests/test_certs.py::"
            "test_a_token_realm_on_another_host_never_gets_its_hosts_client_certificate",
        ),
    ),
]
