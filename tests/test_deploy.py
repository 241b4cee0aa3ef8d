"""The Kubernetes deployment files (``deploy/kubernetes/``), checked offline.

Each manifest is validated against the Kubernetes OpenAPI schemas that ``kubernetes-validate``
bundles, strictly (an unknown or misspelt field fails), for the newest and the oldest
Kubernetes version it carries. The ServiceMonitor is the Prometheus Operator's CRD, not in
those schemas: its shape is checked by hand. Then what the files promise together: the
Deployment runs ``whichtag serve --kubernetes`` non-root on a read-only root filesystem, its
cache, credentials and webhook come from where the docs say, and the names line up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy" / "kubernetes"
VERSIONS = (kubernetes_validate.utils.all_versions()[0], kubernetes_validate.latest_version())
NOT_IN_SCHEMAS = {"ServiceMonitor", "Kustomization"}


def documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(DEPLOY.rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document is not None:
                found.append((str(path.relative_to(DEPLOY)), document))
    return found


def one(kind: str) -> dict[str, Any]:
    matching = [document for _, document in documents() if document["kind"] == kind]
    assert len(matching) == 1, kind
    return matching[0]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_validates_against_the_kubernetes_schemas(version: str) -> None:
    checked: set[str] = set()
    for name, document in documents():
        if document["kind"] in NOT_IN_SCHEMAS:
            continue
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{name} {document['kind']}: {error.message}")
        checked.add(document["kind"])
    assert checked >= {
        "Namespace",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "Deployment",
        "Service",
        "Secret",
    }


def test_the_validator_refuses_what_is_wrong() -> None:
    deployment = one("Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFs"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["replicas"] = "one"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_the_deployment_runs_serve_locked_down() -> None:
    pod = one("Deployment")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == ["serve", "--kubernetes", "--listen", "0.0.0.0:9105"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 65532  # the Containerfile's user
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    env = {entry["name"]: entry for entry in container["env"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    # the cache: an emptyDir at $XDG_CACHE_HOME (the root filesystem is read-only)
    assert "emptyDir" in volumes[mounts[env["XDG_CACHE_HOME"]["value"]]]
    assert "emptyDir" in volumes[mounts["/tmp"]]
    # registry credentials: a Secret's config.json at $DOCKER_CONFIG, mounted read-only
    auth = volumes[mounts[env["DOCKER_CONFIG"]["value"]]]["secret"]
    assert auth["items"] == [{"key": ".dockerconfigjson", "path": "config.json"}]
    assert all(
        mount["readOnly"]
        for mount in container["volumeMounts"]
        if mount["mountPath"] == env["DOCKER_CONFIG"]["value"]
    )
    secrets = {
        document["metadata"]["name"]: document
        for _, document in documents()
        if document["kind"] == "Secret"
    }
    assert secrets[auth["secretName"]]["type"] == "kubernetes.io/dockerconfigjson"
    webhook = env["WHICHTAG_WEBHOOK_URL"]["valueFrom"]["secretKeyRef"]
    assert webhook["key"] in secrets[webhook["name"]]["stringData"]
    assert pod["serviceAccountName"] == one("ServiceAccount")["metadata"]["name"]


def test_the_roles_grant_reading_pods_only() -> None:
    account = one("ServiceAccount")["metadata"]
    for kind, binding in (("ClusterRole", "ClusterRoleBinding"), ("Role", "RoleBinding")):
        role = one(kind)
        assert role["rules"] == [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}
        ]
        bound = one(binding)
        assert bound["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": kind,
            "name": role["metadata"]["name"],
        }
        assert bound["subjects"] == [
            {"kind": "ServiceAccount", "name": account["name"], "namespace": account["namespace"]}
        ]
    assert one("Role")["metadata"]["namespace"] == one("RoleBinding")["metadata"]["namespace"]


def test_the_service_and_the_service_monitor_reach_the_metrics_port() -> None:
    deployment = one("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"metrics": 9105}
    service = one("Service")
    assert service["spec"]["selector"].items() <= labels.items()
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] in ports
    # the ServiceMonitor (monitoring.coreos.com/v1, not in the bundled schemas): by hand
    monitor = one("ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert set(monitor) == {"apiVersion", "kind", "metadata", "spec"}
    assert set(monitor["metadata"]) <= {"name", "namespace", "labels"}
    spec = monitor["spec"]
    assert set(spec) <= {"selector", "namespaceSelector", "endpoints", "jobLabel"}
    assert spec["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert spec["namespaceSelector"] == {"matchNames": [service["metadata"]["namespace"]]}
    for endpoint in spec["endpoints"]:
        assert set(endpoint) <= {"port", "path", "interval", "scrapeTimeout", "scheme"}
        assert endpoint["port"] == port["name"]
        assert endpoint["path"] == "/metrics"
        interval, timeout = (
            int(endpoint[key].removesuffix("s")) for key in ("interval", "scrapeTimeout")
        )
        assert 0 < timeout <= interval


def test_the_kustomization_lists_files_that_are_there() -> None:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (DEPLOY / resource).is_file(), resource
    namespaced = {one(kind)["metadata"].get("namespace") for kind in ("Deployment", "Service")}
    assert namespaced == {one("Namespace")["metadata"]["name"]}
