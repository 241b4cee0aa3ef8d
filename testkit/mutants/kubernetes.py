"""Curated mutants of ``src/whichtag/serve/kubernetes.py``: the Kubernetes source of serve.

Kept apart from the serve room's other mutants (``serve.py``) so each has one author: the pods
listed through the API server, page by page, 410 restarted, 403 an error of its namespace,
the credential the kubeconfig names (an exec plugin's token) used.
"""

from __future__ import annotations

from testkit.mutants.base import Mutant

KUBERNETES = "src/whichtag/serve/kubernetes.py"
TESTS = "tests/test_kubernetes.py::"

MUTANTS: list[Mutant] = [
    Mutant(
        "kube-continue-not-followed",
        KUBERNETES,
        '        after = metadata.get("continue")\n',
        '        after = metadata.get("_continue")\n',
        "the pods are listed page by page: the continue token is followed to the last page",
        (f"{TESTS}test_a_bearer_token_lists_all_namespaces_page_by_page",),
    ),
    Mutant(
        "kube-410-not-restarted",
        KUBERNETES,
        "        if status == 410 and token is not None and restarts < MAX_RESTARTS:\n",
        "        if status == 410 and token is None and restarts < MAX_RESTARTS:\n",
        "an expired continue token (410 Gone) restarts the list from its start",
        (f"{TESTS}test_an_expired_continue_token_restarts_the_list",),
    ),
    Mutant(
        "kube-410-restarts-unbounded",
        KUBERNETES,
        "        if status == 410 and token is not None and restarts < MAX_RESTARTS:\n",
        "        if status == 410 and token is not None:\n",
        "restarts after expired continue tokens are bounded",
        (f"{TESTS}test_restarts_after_expired_tokens_are_bounded",),
    ),
    Mutant(
        "kube-403-crashes",
        KUBERNETES,
        "            listing.errors.append((namespace, _refusal(status, body)))\n",
        "            raise RuntimeError(_refusal(status, body))\n",
        "a namespace the RBAC refuses is an error of that namespace, the others still listed",
        (f"{TESTS}test_a_namespace_the_rbac_refuses_is_an_error_of_that_namespace",),
    ),
    Mutant(
        "kube-kubeconfig-credential-dropped",
        KUBERNETES,
        "            context=source.context,\n            client_configuration=configuration,\n",
        "            context=source.context,\n            client_configuration=None,\n",
        "the kubeconfig's credential (an exec plugin's token) is what the client presents",
        (f"{TESTS}test_an_exec_credential_plugin_token_is_used",),
    ),
    Mutant(
        "pods-ephemeral-containers-skipped",
        "src/whichtag/files/pods.py",
        '    ("ephemeralContainers", "ephemeralContainerStatuses"),',
        "",
        "ephemeral containers (kubectl debug) run images too: they are listed",
        (f"{TESTS}test_a_bearer_token_lists_all_namespaces_page_by_page",),
    ),
]
