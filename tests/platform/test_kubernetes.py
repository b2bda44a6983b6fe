"""The Kubernetes manifests (deploy/kubernetes), rendered and checked offline.

Every overlay is rendered by `kubectl kustomize` and every object validated against the
Kubernetes schemas (kubernetes-validate, strict: an unknown field fails). Then the rules
of the issue that a schema cannot say: probes, limits, a locked-down security context on
every container, an autoscaler and a disruption budget per web process, two replicas in
production, no secret values in the repo.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO_ROOT, need

pytestmark = pytest.mark.database_free

KUSTOMIZE = REPO_ROOT / "deploy" / "kubernetes"
OVERLAYS = ("dev", "production")
KUBERNETES_VERSION = "1.32.0"
# Objects of operators' own kinds: their schemas are not Kubernetes' (checked by shape).
CUSTOM_KINDS = {("postgresql.cnpg.io/v1", "Cluster")}
SERVICES = ("personnel", "catalog", "elearning", "evaluation", "notification", "planning")
PUBLISHERS = tuple(
    s for s in SERVICES if (REPO_ROOT / "services" / s / "deliver-events.sh").exists()
)
WEB = (*SERVICES, "portal", "gateway")


def render(overlay: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    need(kubectl is not None, "kubectl is not installed (Debian package kubectl)")
    out = subprocess.run(
        [str(kubectl), "kustomize", str(KUSTOMIZE / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, render(request.param)


def named(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def pod_specs(objects: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{o['kind']}/{o['metadata']['name']}", o["spec"]["template"]["spec"])
        for o in objects
        if o["kind"] in ("Deployment", "Job")
    ]


def test_every_object_is_valid_for_kubernetes(rendered) -> None:
    import kubernetes_validate

    _, objects = rendered
    for obj in objects:
        if (obj["apiVersion"], obj["kind"]) in CUSTOM_KINDS:
            assert obj["metadata"]["name"] and obj["spec"], obj
            continue
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_the_validator_rejects_what_it_should() -> None:
    """The check above can fail: an unknown field and a wrong type are refused."""
    import kubernetes_validate

    bad = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "x"},
        "spec": {"ports": [{"port": "eighty"}], "selectr": {}},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES_VERSION, strict=True)


def test_every_container_is_probed_limited_and_locked_down(rendered) -> None:
    _, objects = rendered
    specs = pod_specs(objects)
    assert len(specs) >= 15
    for where, spec in specs:
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec.get("automountServiceAccountToken") is False, where
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), where
            assert {"cpu", "memory"} <= set(resources["limits"]), where
            if where.startswith("Deployment/"):  # a Job's pod runs once: nothing to probe
                for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                    assert probe in container, f"{where} has no {probe}"


def test_web_processes_probe_the_health_routes(rendered) -> None:
    _, objects = rendered
    deployments = named(objects, "Deployment")
    for service in WEB:
        container = deployments[f"{service}-web"]["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"


def test_each_service_has_its_workloads_autoscaler_budget_and_migration(rendered) -> None:
    overlay, objects = rendered
    deployments = named(objects, "Deployment")
    autoscalers = named(objects, "HorizontalPodAutoscaler")
    budgets = named(objects, "PodDisruptionBudget")
    services = named(objects, "Service")
    jobs = named(objects, "Job")
    for name in WEB:
        web = deployments[f"{name}-web"]
        assert autoscalers[f"{name}-web"]["spec"]["scaleTargetRef"]["name"] == f"{name}-web"
        assert (
            budgets[f"{name}-web"]["spec"]["selector"]["matchLabels"]
            == (web["spec"]["selector"]["matchLabels"])
        )
        assert services[f"{name}-web"]["spec"]["selector"] == web["spec"]["selector"]["matchLabels"]
        if overlay == "production":
            assert web["spec"]["replicas"] >= 2, name
            assert autoscalers[f"{name}-web"]["spec"]["minReplicas"] >= 2, name
    for name in SERVICES:  # a delivery process exactly where the service publishes events
        assert (f"{name}-delivery" in deployments) == (name in PUBLISHERS), name
    for name in PUBLISHERS:
        delivery = deployments[f"{name}-delivery"]["spec"]
        assert delivery["template"]["spec"]["containers"][0]["command"] == [
            "/app/service/deliver-events.sh"
        ]
        if overlay == "production":  # one delivers, one stands by (DeliveryWorker.lead)
            assert delivery["replicas"] >= 2, name
    for name in SERVICES:
        migrate = jobs[f"{name}-migrate"]["spec"]["template"]["spec"]["containers"][0]
        assert migrate["command"] == ["/app/service/boot.sh", "migrate"]
        # The replicas leave migration to the Job.
        env = {e["name"]: e.get("value") for e in deployments[f"{name}-web"]["spec"][
            "template"]["spec"]["containers"][0]["env"]}  # fmt: skip
        assert env["MIGRATE_ON_START"] == "0"


def test_each_service_reads_only_its_own_secrets(rendered) -> None:
    _, objects = rendered
    assert not [o for o in objects if o["kind"] == "Secret"], "secret values in the repo"
    for where, spec in pod_specs(objects):
        refs = {
            source["secretRef"]["name"]
            for source in spec["containers"][0].get("envFrom", [])
            if "secretRef" in source
        }
        if "portal-sessions" in where:
            assert refs == set()
            continue
        if where.startswith("CronJob/"):
            assert refs == {"cakap-secrets", "evaluation-secrets"}, where
            continue
        service = where.split("/")[1].rsplit("-", 1)[0]
        own = set() if service == "gateway" else {f"{service}-secrets"}
        assert refs == {"cakap-secrets"} | own, where


def test_only_the_edge_and_the_portal_reach_the_gateway(rendered) -> None:
    _, objects = rendered
    policies = named(objects, "NetworkPolicy")
    deny = policies["default-deny"]["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    selecting_gateway = [
        p
        for p in policies.values()
        if "Ingress" in p["spec"]["policyTypes"]
        and _selects(p["spec"]["podSelector"], {"app.kubernetes.io/name": "gateway",
                                                 "app.kubernetes.io/component": "web"})
    ]  # fmt: skip
    sources = [
        peer
        for p in selecting_gateway
        for rule in p["spec"].get("ingress", [])
        for peer in rule["from"]
    ]
    assert sources == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
        {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "portal",
                                         "app.kubernetes.io/component": "web"}}},
    ]  # fmt: skip
    edge = named(objects, "Ingress")["edge"]
    backends = {
        p["backend"]["service"]["name"] for r in edge["spec"]["rules"] for p in r["http"]["paths"]
    }
    assert backends == {"gateway-web"}


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels and matchExpressions) selects these labels."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        value, values = labels.get(expression["key"]), expression.get("values", [])
        operator = expression["operator"]
        if (operator == "In" and value not in values) or (operator == "NotIn" and value in values):
            return False
        if (operator == "Exists") != (value is not None) and operator in ("Exists", "DoesNotExist"):
            return False
    return True


def test_the_selector_helper_can_say_no() -> None:
    gateway = {"app.kubernetes.io/name": "gateway", "app.kubernetes.io/component": "web"}
    assert _selects({}, gateway)
    assert not _selects({"matchLabels": {"app.kubernetes.io/name": "portal"}}, gateway)
    not_gateway = {"key": "app.kubernetes.io/name", "operator": "NotIn", "values": ["gateway"]}
    assert not _selects({"matchExpressions": [not_gateway]}, gateway)


def test_the_dockerfiles_run_as_the_user_the_manifests_expect() -> None:
    dockerfiles = [*REPO_ROOT.glob("services/*/Dockerfile"), REPO_ROOT / "gateway/Dockerfile"]
    assert len(dockerfiles) == 8
    for dockerfile in dockerfiles:
        text = dockerfile.read_text()
        assert "--uid 10001" in text and "\nUSER 10001\n" in text, dockerfile


def test_boot_migrate_only_migrates(tmp_path: Path) -> None:
    """`boot.sh migrate` (the Job's command) migrates and exits; it never serves."""
    boot = REPO_ROOT / "services" / "planning" / "boot.sh"
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    calls = tmp_path / "calls"
    for tool in ("flask", "gunicorn"):
        script = fake_bin / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> {calls}\n')
        script.chmod(0o755)
    env = {"PATH": f"{fake_bin}:/usr/bin:/bin"}
    subprocess.run([str(boot), "migrate"], check=True, env=env)
    assert calls.read_text().splitlines() == ["flask --app planning_service db upgrade"]
    calls.unlink()
    subprocess.run([str(boot)], check=True, env={**env, "MIGRATE_ON_START": "0"})
    assert [line.split()[0] for line in calls.read_text().splitlines()] == ["gunicorn"]


def test_scheduled_jobs_run_once_per_schedule(rendered) -> None:
    """Each evaluation command that must run periodically is a CronJob that never overlaps."""
    _, objects = rendered
    cronjobs = named(objects, "CronJob")
    assert set(cronjobs) == {
        "evaluation-close-overdue-attempts",
        "evaluation-remind-impact-evaluations",
    }
    commands = {c.name for c in _evaluation_commands()}
    for cronjob in cronjobs.values():
        assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
        container = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
        assert container["command"][:3] == ["flask", "--app", "evaluation_service"]
        assert container["command"][3] in commands


def _evaluation_commands() -> list[Any]:
    from evaluation_service.commands import (
        close_overdue_attempts_command,
        remind_impact_evaluations_command,
    )

    return [close_overdue_attempts_command, remind_impact_evaluations_command]


def test_no_replica_keeps_state_on_its_disk(rendered) -> None:
    """Content goes to the shared bucket; pods have only emptyDirs (issue 21)."""
    _, objects = rendered
    assert not [o for o in objects if o["kind"] == "PersistentVolumeClaim"]
    assert named(objects, "ConfigMap")["cakap-config"]["data"]["CONTENT_STORE"] == "s3"
    for where, spec in pod_specs(objects):
        for volume in spec.get("volumes", []):
            assert set(volume) == {"name", "emptyDir"}, (where, volume)
