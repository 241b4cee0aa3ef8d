"""Mutants of the long-running exporter's rules (``src/whichtag/serve``)."""

from __future__ import annotations

from testkit.mutants.base import Mutant

SERVICE = "src/whichtag/serve/service.py"
COLLECTOR = "src/whichtag/serve/collector.py"
EVENTS = "src/whichtag/serve/events.py"
WEBHOOKS = "src/whichtag/serve/webhooks.py"
TESTS = "tests/test_serve.py::"

MUTANTS: list[Mutant] = [
    Mutant(
        "serve-baseline-speaks",
        EVENTS,
        "in before.releases or repository not in before.repositories:",
        "in before.releases:",
        "the first refresh after a start is a silent baseline (what was not known is no news)",
        (
            TESTS + "test_a_moved_tag_and_a_new_release_become_events",
            TESTS + "test_change_events_between_two_refreshes",
        ),
    ),
    Mutant(
        "serve-ready-before-first-refresh",
        SERVICE,
        "        self.ready = False",
        "        self.ready = True",
        "/readyz answers 200 only once the first refresh has finished",
        (TESTS + "test_readyz_answers_once_the_first_refresh_has_finished",),
    ),
    Mutant(
        "serve-refreshes-overlap",
        SERVICE,
        "        async with self._lock:",
        "        async with contextlib.nullcontext():",
        "never more than one refresh at a time",
        (TESTS + "test_one_refresh_at_a_time",),
    ),
    Mutant(
        "serve-unchecked-reported-latest",
        COLLECTOR,
        "        if not answer.complete or answer.version is None:",
        "        if answer.version is None:",
        "a sample not measured is absent, never a value (version_checker_is_latest_version)",
        (TESTS + "test_version_checker_samples_leave_out_what_was_not_checked",),
    ),
    Mutant(
        "webhook-netrc-credentials",
        WEBHOOKS,
        "                timeout=aiohttp.ClientTimeout(total=TIMEOUT), trust_env=False",
        "                timeout=aiohttp.ClientTimeout(total=TIMEOUT), trust_env=True",
        "a webhook POST carries no Authorization (no credential of any store)",
        (TESTS + "test_a_moved_tag_and_a_new_release_become_events",),
    ),
    Mutant(
        "webhook-url-logged",
        SERVICE,
        "            webhooks=[host_of(url) for url in self.config.webhooks],",
        "            webhooks=list(self.config.webhooks),",
        "a webhook URL is a secret: only its host is logged",
        (TESTS + "test_a_moved_tag_and_a_new_release_become_events",),
    ),
    # -- serve follows the policy file ----
    Mutant(
        "serve-policy-read-once",
        "src/whichtag/serve/command.py",
        "    policy = policy_from(args) if args is not None else Policy()\n",
        "    policy = Policy()\n",
        "serve reads the policy file with the files, so SIGHUP reloads it",
        ("tests/test_serve.py::test_sighup_rereads_the_policy_file",),
    ),
    Mutant(
        "serve-live-places-not-sorted-by-policy",
        "src/whichtag/serve/service.py",
        "            live.add_uses(await self._kubernetes())\n",
        "            live.uses += await self._kubernetes()\n",
        "the policy file's ignore: applies to the cluster's containers too",
        (
            "tests/test_serve_kubernetes.py::test_serve_lists_the_cluster_and_counts_a_refused_namespace",
        ),
    ),
]
