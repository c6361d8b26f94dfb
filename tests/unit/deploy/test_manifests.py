"""The Kubernetes manifests (deploy/k8s): they parse, validate against the Kubernetes
schemas offline, and keep the deployment rules of DESIGN.md ("Running").

The invariants are checked twice: on the resources each overlay lists (read from
the files, before kustomize's patches), and, when kubectl or kustomize is on PATH,
on what `kubectl kustomize` renders.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

yaml = pytest.importorskip("yaml", reason="PyYAML is in the dev extras: pip install -e '.[dev]'")

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
BASE = K8S / "base"
OVERLAYS = {"dev": K8S / "overlays" / "dev", "production": K8S / "overlays" / "production"}
KUBERNETES_VERSION = "1.30"  # the oldest Kubernetes the manifests are written for

# docs/runtime-contract.md and the deployment brief; nothing else may be set.
PORTS = {
    "identity": 50051,
    "ordering": 50052,
    "billing": 50053,
    "fleet": 50054,
    "assets": 50055,
    "notifications": 50056,
}
# The mailbox each kind of assets request is e-mailed to.
ASSETS_MAILBOXES = {
    f"PORTAL_ASSETS_MAILBOX_{kind}"
    for kind in ("PARTS", "INTERVENTION", "EXPERTISE", "REMOVAL", "CHANGES")
}
DOCUMENTED_ENV = {
    "PORTAL_NATS_URL",
    "PORTAL_NATS_STREAM_REPLICAS",
    "PORTAL_VAR_DIR",
    "PORTAL_LOG_LEVEL",
    "PORTAL_WEB_URL",
    "PORTAL_JWT_PUBLIC_KEY_FILE",
    "PORTAL_JWT_PRIVATE_KEY_FILE",
    "PORTAL_BOOTSTRAP_OPERATOR_EMAIL",
    "PORTAL_BOOTSTRAP_OPERATOR_PASSWORD",
    "PORTAL_SMTP_HOST",
    "PORTAL_SMTP_PORT",
    "PORTAL_SMTP_USERNAME",
    "PORTAL_SMTP_PASSWORD",
    "PORTAL_SMTP_STARTTLS",
    "PORTAL_MAIL_FROM",
    "PORTAL_SUPPORT_EMAIL",
    "PORTAL_GATEWAY_ADDR",
    "PORTAL_GATEWAY_TRUST_FORWARDED",
    "PORTAL_GATEWAY_SERVICES",
    "PORTAL_GATEWAY_FORWARD_HEADERS",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    # ordering (optional; ConfigMap ordering-config)
    "PORTAL_ORDERING_TRANSFER_IBAN",
    "PORTAL_ORDERING_TRANSFER_BIC",
    "PORTAL_ORDERING_TRANSFER_HOLDER",
    "PORTAL_ORDERING_MIN_LOAD_CENTS",
    "PORTAL_ORDERING_MAX_LOAD_CENTS",
    "PORTAL_ORDERING_CARD_FEE_CENTS",
    "PORTAL_ORDERING_SYNC_IMPORT_MAX_LINES",
    # billing (ConfigMap billing-config; the webhook secret from billing-payment-provider)
    "PORTAL_PAYMENT_PROVIDER",
    "PORTAL_PAYMENT_PROVIDER_URL",
    "PORTAL_PAYMENT_PROVIDER_TIMEOUT_SECONDS",
    "PORTAL_PAYMENT_WEBHOOK_SECRET",
    "PORTAL_OPERATOR_NAME",
    # billing's direct debits (the IBAN keys from the Secret billing-iban-keys)
    "PORTAL_BILLING_IBAN_KEYS",
    "PORTAL_BILLING_IBAN_KEY_FILE",
    "PORTAL_SEPA_CREDITOR_ID",
    "PORTAL_SEPA_CREDITOR_NAME",
    "PORTAL_SEPA_CREDITOR_IBAN",
    "PORTAL_SEPA_CREDITOR_BIC",
    "PORTAL_SEPA_MIN_NOTICE_DAYS",
    # the local test payment provider (dev only; deploy/local/payment_provider.py)
    "PORTAL_PAYMENT_PROVIDER_ADDR",
    "PORTAL_PAYMENT_PROVIDER_PUBLIC_URL",
    "PORTAL_PAYMENT_WEBHOOK_URL",
    # fleet (ConfigMap fleet-config; services/fleet/__main__.py)
    "PORTAL_FLEET_PROVISIONING_URL",
    "PORTAL_FLEET_DEFAULT_REGION",
    "PORTAL_FLEET_CONCURRENCY",
    "PORTAL_FLEET_LEASE_SECONDS",
    "PORTAL_FLEET_POLL_SECONDS",
    "PORTAL_FLEET_RETRY_FIRST_SECONDS",
    "PORTAL_FLEET_RETRY_MAX_SECONDS",
    "PORTAL_FLEET_GIVE_UP_HOURS",
    # assets (ConfigMap assets-config; services/assets/__main__.py): the operators'
    # department mailboxes, by kind of request
    *ASSETS_MAILBOXES,
    # the provisioning simulator (dev only; deploy/local/provisioning_simulator.py)
    "PORTAL_PROVISIONING_SIMULATOR_ADDR",
    "PORTAL_PROVISIONING_DELAY_MS",
    "PORTAL_PROVISIONING_FAIL_NUMBERS",
    # the web portal (web/settings.py; ConfigMap web-config, the keys from web-session-keys)
    "PORTAL_WEB_ADDR",
    "PORTAL_WEB_GATEWAY_URL",
    "PORTAL_WEB_SESSION_KEYS",
    "PORTAL_WEB_SESSION_KEY_FILE",
    "PORTAL_WEB_SESSION_MAX_AGE_SECONDS",
    "PORTAL_WEB_TIMEOUT_SECONDS",
    *(f"PORTAL_{name.upper()}_ADDR" for name in PORTS),
    *(f"PORTAL_{name.upper()}_DATABASE_URL" for name in PORTS),
}
# The services deployed today; a service in PORTS joins this set when it is deployed.
DEPLOYED = {"identity", "notifications", "ordering", "billing", "fleet", "assets"}
# The payment provider's variables (PORTAL_PAYMENT_...): billing and the provider only.
PAYMENT_ENV_USERS = {"billing", "payment-provider"}
# Dev only: the local test payment provider (in memory), a Deployment of the image.
PAYMENT_PROVIDER = "payment-provider"
PAYMENT_PROVIDER_PORT = 8090
WEBHOOK_PATH = "/v1/payments/webhook"
# Dev only: the provisioning simulator fleet applies line changes through (in memory).
PROVISIONING_SIMULATOR = "provisioning-simulator"
PROVISIONING_SIMULATOR_PORT = 8091
# The simulator's own variables (PORTAL_PROVISIONING_...): the simulator only.
PROVISIONING_ENV_USERS = {PROVISIONING_SIMULATOR}
# The test doubles of the image: dev runs them all, production none.
TEST_DOUBLES = {PAYMENT_PROVIDER, PROVISIONING_SIMULATOR}
WEBHOOK_SECRET = {"secretKeyRef": {"name": "billing-payment-provider", "key": "webhook-secret"}}
IBAN_KEYS = {"secretKeyRef": {"name": "billing-iban-keys", "key": "keys"}}
GATEWAY_PODS = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}}}
# The customer web portal (`python -m web`): browsers -> its Ingress -> web -> gateway.
WEB = "web"
WEB_PORT = 8000
WEB_PODS = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": WEB}}}
SESSION_KEYS = {"secretKeyRef": {"name": "web-session-keys", "key": "keys"}}
# The portal's variables (PORTAL_WEB_...) go to the portal only, but for its public
# address, which the services that build links to its pages read too.
SHARED_WEB_ENV = {"PORTAL_WEB_URL"}
# The services that build links to the portal's pages (services/*/__main__.py read
# PORTAL_WEB_URL): welcome letters, payment returns and documents, e-mails.
LINK_BUILDERS = {"identity", "billing", "notifications"}
CLUSTER_DNS = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
INGRESS_CONTROLLER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}
}
# What a Portail pod may mount: no persistent volume (state lives in PostgreSQL and
# NATS; ordering keeps uploaded order files in its database).
POD_VOLUME_SOURCES = {"emptyDir", "secret", "configMap"}
PORTAIL_IMAGE = re.compile(r"^(?:[\w.-]+(?::\d+)?/)*portail(?::[\w.-]+)?$")


# ---------------------------------------------------------------- reading the files


def _docs(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _kustomization(folder: Path) -> dict:
    return _docs(folder / "kustomization.yaml")[0]


def listed_resources(folder: Path) -> list[dict]:
    """The resources a kustomization lists, recursively (patches not applied)."""
    out: list[dict] = []
    for entry in _kustomization(folder).get("resources", []):
        path = folder / entry
        out += listed_resources(path) if path.is_dir() else _docs(path)
    return out


def generated_configmaps(folder: Path) -> dict[str, dict[str, str]]:
    """configMapGenerator output along the chain (base first, then merge/replace)."""
    maps: dict[str, dict[str, str]] = {}
    kust = _kustomization(folder)
    for entry in kust.get("resources", []):
        if (folder / entry).is_dir():
            maps.update(generated_configmaps(folder / entry))
    for gen in kust.get("configMapGenerator", []):
        data = dict(line.split("=", 1) for line in gen.get("literals", []))
        data |= {Path(f).name: (folder / f).read_text() for f in gen.get("files", [])}
        if gen.get("behavior") == "merge":
            data = maps[gen["name"]] | data
        maps[gen["name"]] = data
    return maps


def rendered_configmaps(resources: list[dict]) -> dict[str, dict[str, str]]:
    return {r["metadata"]["name"]: r.get("data", {}) for r in resources if r["kind"] == "ConfigMap"}


def of_kind(resources: list[dict], kind: str) -> list[dict]:
    return [r for r in resources if r["kind"] == kind]


def portail_deployments(resources: list[dict]) -> list[dict]:
    return [
        d
        for d in of_kind(resources, "Deployment")
        if d["metadata"]["labels"].get("app.kubernetes.io/part-of") == "portail"
    ]


def app_name(resource: dict) -> str:
    return resource["metadata"]["labels"]["app.kubernetes.io/name"]


def service_names(resources: list[dict]) -> list[str]:
    """The gRPC services deployed (not the gateway, not the dev-only test doubles)."""
    return [
        app_name(d)
        for d in portail_deployments(resources)
        if d["metadata"]["labels"].get("app.kubernetes.io/component") == "service"
    ]


def container(deployment: dict) -> dict:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def env_of(deployment: dict, configmaps: dict[str, dict[str, str]]) -> dict[str, object]:
    """Every variable the container gets: env entries and envFrom ConfigMaps."""
    c = container(deployment)
    env: dict[str, object] = {}
    for source in c.get("envFrom", []):
        ref = source["configMapRef"]
        assert ref["name"] in configmaps, f"{ref['name']} is not generated"
        env |= configmaps[ref["name"]]
    for item in c.get("env", []):
        env[item["name"]] = item.get("value", item.get("valueFrom"))
    return env


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def pod_labels(workload: dict) -> dict:
    return workload["spec"]["template"]["metadata"]["labels"]


# ---------------------------------------------------------------- the invariants


def check_workloads(resources: list[dict], configmaps: dict[str, dict[str, str]]) -> None:
    deployments = portail_deployments(resources)
    names = {app_name(d) for d in deployments}
    assert {"gateway", WEB, *DEPLOYED} <= names
    grpc_services = set(service_names(resources))
    assert names == {"gateway", WEB, *grpc_services} | (TEST_DOUBLES & names)
    # The session keys are a secret: never in a ConfigMap, whatever its name.
    in_configmaps = [n for n, data in configmaps.items() if "PORTAL_WEB_SESSION_KEYS" in data]
    assert not in_configmaps, f"session keys in ConfigMaps {in_configmaps}"
    pdbs = of_kind(resources, "PodDisruptionBudget")
    services = {s["metadata"]["name"]: s for s in of_kind(resources, "Service")}
    for d in deployments:
        name, pod, c = app_name(d), d["spec"]["template"]["spec"], container(d)
        where = f"Deployment {name}"
        assert PORTAIL_IMAGE.match(c["image"]), where
        assert pod["terminationGracePeriodSeconds"] >= 40, where
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["securityContext"]["runAsUser"] != 0, where
        assert pod["automountServiceAccountToken"] is False, where
        sc = c["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True, where
        assert sc["allowPrivilegeEscalation"] is False, where
        assert sc["capabilities"]["drop"] == ["ALL"], where
        tmp = {m["name"] for m in c["volumeMounts"] if m["mountPath"] == "/tmp"}
        assert any(v["name"] in tmp and "emptyDir" in v for v in pod["volumes"]), where
        for volume in pod["volumes"]:
            assert set(volume) - {"name"} <= POD_VOLUME_SOURCES, f"{where}: {volume['name']}"
        assert {"requests", "limits"} <= c["resources"].keys(), where
        assert {"cpu", "memory"} <= c["resources"]["requests"].keys(), where
        assert "memory" in c["resources"]["limits"], where
        keys = {t["topologyKey"] for t in pod["topologySpreadConstraints"]}
        assert keys == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}, where
        assert any(selects(p["spec"]["selector"], pod_labels(d)) for p in pdbs), f"no PDB: {where}"

        env = env_of(d, configmaps)
        undocumented = set(env) - DOCUMENTED_ENV
        assert not undocumented, f"{where} sets undocumented variables {undocumented}"
        if name not in TEST_DOUBLES | {WEB}:
            assert env["PORTAL_JWT_PUBLIC_KEY_FILE"], where
            assert env["PORTAL_NATS_URL"] == "nats://nats:4222", where
        web_env = {k for k in env if k.startswith("PORTAL_WEB_")} - SHARED_WEB_ENV
        assert not web_env or name == WEB, f"{where} gets the portal's variables {web_env}"
        if name in LINK_BUILDERS:
            # Links lead to the portal's public address, the one the portal has.
            (portal,) = [x for x in deployments if app_name(x) == WEB]
            assert env["PORTAL_WEB_URL"] == env_of(portal, configmaps)["PORTAL_WEB_URL"], where
        assert ("PORTAL_JWT_PRIVATE_KEY_FILE" in env) == (name == "identity"), where
        payment = {k for k in env if k.startswith("PORTAL_PAYMENT_")}
        assert not payment or name in PAYMENT_ENV_USERS, f"{where} gets {payment}"
        provisioning = {k for k in env if k.startswith("PORTAL_PROVISIONING_")}
        assert not provisioning or name in PROVISIONING_ENV_USERS, f"{where} gets {provisioning}"
        for other in PORTS.keys() - {name}:
            # A service's own variables (PORTAL_<NAME>_...) go to that service only;
            # the gateway gets each service's address.
            allowed = {f"PORTAL_{other.upper()}_ADDR"} if name == "gateway" else set()
            foreign = {k for k in env if k.startswith(f"PORTAL_{other.upper()}_")} - allowed
            assert not foreign, f"{where} gets {other}'s variables {foreign}"

        probes = [c["startupProbe"], c["readinessProbe"], c["livenessProbe"]]
        if name == "gateway":
            assert c["command"] == ["python", "-m", "gateway"]
            assert env["PORTAL_GATEWAY_ADDR"] == "0.0.0.0:8080"
            assert env["PORTAL_GATEWAY_TRUST_FORWARDED"] == "1"
            assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert all(p["httpGet"]["port"] == "http" for p in probes)
            served = env["PORTAL_GATEWAY_SERVICES"].split(",")
            assert sorted(served) == sorted(grpc_services), "PORTAL_GATEWAY_SERVICES"
            for other in grpc_services:
                port = PORTS[other]
                assert env[f"PORTAL_{other.upper()}_ADDR"] == f"{other}:{port}", other
                assert [p["port"] for p in services[other]["spec"]["ports"]] == [port], other
            # The payment provider's webhook signature reaches billing.
            forwarded = env["PORTAL_GATEWAY_FORWARD_HEADERS"].split(",")
            assert "portail-signature" in forwarded, "PORTAL_GATEWAY_FORWARD_HEADERS"
        elif name == WEB:
            assert c["command"] == ["python", "-m", "web"], where
            assert c["ports"][0]["containerPort"] == WEB_PORT, where
            assert env["PORTAL_WEB_ADDR"] == f"0.0.0.0:{WEB_PORT}", where
            # The API through the gateway's Service (its port, not the pod's).
            (gateway_port,) = [p["port"] for p in services["gateway"]["spec"]["ports"]]
            host = "gateway" if gateway_port == 80 else f"gateway:{gateway_port}"
            assert env["PORTAL_WEB_GATEWAY_URL"] == f"http://{host}", where
            # Every replica decrypts every session: one set of keys, from a Secret.
            assert env["PORTAL_WEB_SESSION_KEYS"] == SESSION_KEYS, where
            assert "PORTAL_WEB_SESSION_KEY_FILE" not in env, where
            url = urlsplit(str(env["PORTAL_WEB_URL"]))
            assert url.scheme in ("http", "https") and url.hostname, where
            assert all(p["httpGet"] == {"path": "/healthz", "port": "http"} for p in probes)
            assert "PORTAL_JWT_PRIVATE_KEY_FILE" not in env, where
            assert not [k for k in env if k.endswith("_DATABASE_URL")], where
        elif name == PAYMENT_PROVIDER:
            assert d["spec"]["replicas"] == 1, f"{where}: in-memory state, one replica"
            assert d["spec"]["strategy"]["type"] == "Recreate", where
            assert c["command"] == ["python", "-m", "deploy.local.payment_provider"], where
            assert c["ports"][0]["containerPort"] == PAYMENT_PROVIDER_PORT, where
            assert env["PORTAL_PAYMENT_PROVIDER_ADDR"] == f"0.0.0.0:{PAYMENT_PROVIDER_PORT}"
            assert env["PORTAL_PAYMENT_PROVIDER_PUBLIC_URL"].startswith("http"), where
            assert env["PORTAL_PAYMENT_WEBHOOK_SECRET"] == WEBHOOK_SECRET, where
            # Through the gateway's Service (its port, not the pod's), to the webhook route.
            (gateway_port,) = [p["port"] for p in services["gateway"]["spec"]["ports"]]
            host = "gateway" if gateway_port == 80 else f"gateway:{gateway_port}"
            assert env["PORTAL_PAYMENT_WEBHOOK_URL"] == f"http://{host}{WEBHOOK_PATH}", where
            assert all(p["httpGet"] == {"path": "/healthz", "port": "http"} for p in probes)
            (svc_port,) = services[PAYMENT_PROVIDER]["spec"]["ports"]
            assert svc_port["port"] == PAYMENT_PROVIDER_PORT, where
            assert "PORTAL_JWT_PUBLIC_KEY_FILE" not in env, where
            assert not [k for k in env if k.endswith("_DATABASE_URL")], where
        elif name == PROVISIONING_SIMULATOR:
            assert d["spec"]["replicas"] == 1, f"{where}: in-memory state, one replica"
            assert d["spec"]["strategy"]["type"] == "Recreate", where
            assert c["command"] == ["python", "-m", "deploy.local.provisioning_simulator"], where
            assert c["ports"][0]["containerPort"] == PROVISIONING_SIMULATOR_PORT, where
            port = PROVISIONING_SIMULATOR_PORT
            assert env["PORTAL_PROVISIONING_SIMULATOR_ADDR"] == f"0.0.0.0:{port}", where
            assert all(p["httpGet"] == {"path": "/healthz", "port": "http"} for p in probes)
            (svc_port,) = services[PROVISIONING_SIMULATOR]["spec"]["ports"]
            assert svc_port["port"] == PROVISIONING_SIMULATOR_PORT, where
            assert "PORTAL_JWT_PUBLIC_KEY_FILE" not in env, where
            assert not [k for k in env if k.endswith("_DATABASE_URL")], where
        else:
            port = PORTS[name]
            assert c["command"] == ["python", "-m", f"services.{name}"], where
            assert c["ports"][0]["containerPort"] == port, where
            assert env[f"PORTAL_{name.upper()}_ADDR"] == f"0.0.0.0:{port}", where
            assert all(p["grpc"]["port"] == port for p in probes), where
            db_url = env[f"PORTAL_{name.upper()}_DATABASE_URL"]
            assert db_url == {"secretKeyRef": {"name": f"{name}-db-app", "key": "uri"}}, where
            if name == "billing":
                assert env["PORTAL_PAYMENT_WEBHOOK_SECRET"] == WEBHOOK_SECRET, where
                assert env["PORTAL_BILLING_IBAN_KEYS"] == IBAN_KEYS, where
                if PAYMENT_PROVIDER in names:  # dev: billing pays through the local one
                    url = f"http://{PAYMENT_PROVIDER}:{PAYMENT_PROVIDER_PORT}"
                    assert env["PORTAL_PAYMENT_PROVIDER_URL"] == url, where
                    assert env.get("PORTAL_PAYMENT_PROVIDER", "local") == "local", where
                else:  # never the local test provider where it does not run
                    assert env.get("PORTAL_PAYMENT_PROVIDER") != "local", where
                    assert PAYMENT_PROVIDER not in env.get("PORTAL_PAYMENT_PROVIDER_URL", "")
            if name == "fleet":
                url = env.get("PORTAL_FLEET_PROVISIONING_URL", "")
                if PROVISIONING_SIMULATOR in names:  # dev: lines change on the simulator
                    simulator = f"http://{PROVISIONING_SIMULATOR}:{PROVISIONING_SIMULATOR_PORT}"
                    assert url == simulator, where
                else:  # the operator's system: set, never the simulator nor the pod itself
                    host = urlsplit(url).hostname or ""
                    assert urlsplit(url).scheme in ("http", "https") and host, where
                    assert host not in (PROVISIONING_SIMULATOR, "localhost", "127.0.0.1"), where
            if name == "assets":
                mailboxes = {k: str(v) for k, v in env.items() if k in ASSETS_MAILBOXES}
                assert all("@" in address for address in mailboxes.values()), where
                if not TEST_DOUBLES & names:  # production: the operator's own mailboxes
                    assert mailboxes.keys() == ASSETS_MAILBOXES, where
                    local = [a for a in mailboxes.values() if a.endswith(".localhost")]
                    assert not local, f"{where}: dev mailboxes {local}"
    # One issuer: the name on billing's invoices is the one on assets' quotes.
    issuers = {
        app_name(d): env_of(d, configmaps).get("PORTAL_OPERATOR_NAME")
        for d in deployments
        if app_name(d) in ("billing", "assets")
    }
    assert set(issuers.values()) == {issuers["billing"]} and issuers["billing"], issuers


def check_network_policies(resources: list[dict]) -> None:
    policies = of_kind(resources, "NetworkPolicy")
    deny = [p for p in policies if p["spec"]["podSelector"] == {}]
    assert len(deny) == 1, "one default-deny-ingress policy"
    assert deny[0]["spec"]["policyTypes"] == ["Ingress"]
    assert not deny[0]["spec"].get("ingress")

    def allowed_from(labels: dict) -> list[dict]:
        return [
            peer
            for p in policies
            if p["spec"]["podSelector"] and selects(p["spec"]["podSelector"], labels)
            for rule in p["spec"].get("ingress", [])
            for peer in rule["from"]
        ]

    names = {app_name(d) for d in portail_deployments(resources)}
    provider_pods = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": PAYMENT_PROVIDER}}}
    billing_pods = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "billing"}}}
    fleet_pods = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "fleet"}}}
    for d in portail_deployments(resources):
        peers = allowed_from(pod_labels(d))
        assert peers, f"nothing reaches {app_name(d)}"
        if app_name(d) == "gateway":
            # The ingress controller and the portal; in dev also the local payment
            # provider's webhooks.
            internal = [p for p in peers if set(p) != {"namespaceSelector"}]
            assert INGRESS_CONTROLLER in peers, "gateway: from the ingress controller"
            expected = [WEB_PODS, *([provider_pods] if PAYMENT_PROVIDER in names else [])]
            assert internal == expected, f"gateway: ingress, portal (+ dev provider): {internal}"
        elif app_name(d) == WEB:
            assert peers == [INGRESS_CONTROLLER], "web: from the ingress controller only"
        elif app_name(d) == PAYMENT_PROVIDER:
            assert peers == [billing_pods, INGRESS_CONTROLLER], "payment-provider"
        elif app_name(d) == PROVISIONING_SIMULATOR:
            assert peers == [fleet_pods], "provisioning-simulator: fleet only"
        else:
            assert peers == [GATEWAY_PODS], f"{app_name(d)}: only the gateway may call it"
    check_portal_egress(policies)
    (nats,) = [s for s in of_kind(resources, "StatefulSet") if s["metadata"]["name"] == "nats"]
    service_pods = {
        "app.kubernetes.io/component": "service",
        "app.kubernetes.io/part-of": "portail",
    }
    assert {"podSelector": {"matchLabels": service_pods}} in allowed_from(pod_labels(nats))


def check_portal_egress(policies: list[dict]) -> None:
    """The portal may reach the gateway and nothing else (the cluster DNS to find it)."""
    web_labels = {"app.kubernetes.io/name": WEB}
    selecting = [
        p
        for p in policies
        if p["spec"]["podSelector"] and selects(p["spec"]["podSelector"], web_labels)
    ]
    assert any("Egress" in p["spec"]["policyTypes"] for p in selecting), "web: egress unrestricted"
    allowed = [
        (peer, sorted((port["port"], port["protocol"]) for port in rule["ports"]))
        for p in selecting
        for rule in p["spec"].get("egress", [])
        for peer in rule["to"]
    ]
    assert allowed == [
        (GATEWAY_PODS, [(8080, "TCP")]),
        (CLUSTER_DNS, [(53, "TCP"), (53, "UDP")]),
    ], f"web may reach {allowed}"


def check_nats(resources: list[dict], configmaps: dict[str, dict[str, str]], overlay: str) -> None:
    (nats,) = [s for s in of_kind(resources, "StatefulSet") if s["metadata"]["name"] == "nats"]
    conf = configmaps[nats["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"]]
    text = re.sub(r"#.*", "", conf["nats.conf"])  # the settings, not the comments
    assert re.search(r"jetstream\s*\{[^}]*store_dir:\s*/data", text)
    assert nats["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    assert any(
        selects(p["spec"]["selector"], pod_labels(nats))
        for p in of_kind(resources, "PodDisruptionBudget")
    )
    headless = [s for s in of_kind(resources, "Service") if s["spec"].get("clusterIP") == "None"]
    assert [s["metadata"]["name"] for s in headless] == [nats["spec"]["serviceName"]]
    assert headless[0]["spec"]["publishNotReadyAddresses"] is True
    routes = re.findall(r"nats://(nats-\d)\.nats-headless:6222", text)
    if overlay == "dev":
        assert not re.search(r"\bcluster\s*\{", text) and not routes
    else:
        assert routes == ["nats-0", "nats-1", "nats-2"]
    if overlay == "production":
        assert re.search(r"jetstream\s*\{[^}]*sync_interval:\s*always", text)


def check_ingress(resources: list[dict]) -> None:
    """The gateway's Ingress lets the internet reach the API, the payment provider's
    webhook (POST /v1/payments/webhook) included; the portal's, its pages."""
    ingresses = of_kind(resources, "Ingress")
    claimed = [
        (rule["host"], path["path"])
        for i in ingresses
        for rule in i["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    assert len(claimed) == len(set(claimed)), f"a host and path routed twice: {claimed}"
    (web,) = [i for i in ingresses if i["metadata"]["name"] == WEB]
    web_paths = [path for rule in web["spec"]["rules"] for path in rule["http"]["paths"]]
    assert [(p["path"], p["pathType"]) for p in web_paths] == [("/", "Prefix")]
    assert all(
        p["backend"]["service"] == {"name": WEB, "port": {"name": "http"}} for p in web_paths
    )
    (ingress,) = [i for i in ingresses if i["metadata"]["name"] == "gateway"]
    routes = [
        path
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
        if path["backend"]["service"]["name"] == "gateway"
    ]
    assert any(
        path["pathType"] == "Prefix" and WEBHOOK_PATH.startswith(path["path"].rstrip("/") + "/")
        for path in routes
    ), f"{WEBHOOK_PATH} is not routed to the gateway"


def check_databases(resources: list[dict], overlay: str) -> None:
    services = service_names(resources)
    clusters = {c["metadata"]["name"]: c for c in of_kind(resources, "Cluster")}
    policies = of_kind(resources, "NetworkPolicy")
    if overlay != "production":
        assert not clusters
        return
    assert set(clusters) == {f"{name}-db" for name in services}
    for name in services:
        cluster = clusters[f"{name}-db"]
        assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
        assert cluster["spec"]["instances"] >= 3
        assert cluster["spec"]["bootstrap"]["initdb"] == {"database": name, "owner": name}
        pods = {"cnpg.io/cluster": f"{name}-db"}
        (policy,) = [p for p in policies if p["spec"]["podSelector"] == {"matchLabels": pods}]
        peers = [peer for rule in policy["spec"]["ingress"] for peer in rule["from"]]
        apps = [p["podSelector"]["matchLabels"] for p in peers if "podSelector" in p]
        assert apps == [{"app.kubernetes.io/name": name}, pods], f"{name}-db: its service only"


def validate_schemas(resources: list[dict]) -> None:
    kv = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate: dev extras")
    for resource in resources:
        if resource["apiVersion"].startswith("postgresql.cnpg.io/"):
            continue  # a CRD: check_databases looks at it
        try:
            kv.validate(resource, KUBERNETES_VERSION, strict=True)
        except kv.ValidationError as e:
            where = f"{resource['kind']}/{resource['metadata']['name']}"
            pytest.fail(f"{where}: {e.message} at {list(e.path)}")


# ---------------------------------------------------------------- the tests


def all_yaml_files() -> list[Path]:
    return sorted(K8S.rglob("*.yaml"))


@pytest.mark.parametrize("path", all_yaml_files(), ids=lambda p: str(p.relative_to(K8S)))
def test_every_manifest_parses(path: Path) -> None:
    docs = _docs(path)
    assert docs
    for doc in docs:
        assert {"apiVersion", "kind"} <= doc.keys()


@pytest.mark.parametrize("folder", [BASE, BASE / "nats", *OVERLAYS.values()], ids=str)
def test_kustomizations_name_existing_files(folder: Path) -> None:
    kust = _kustomization(folder)
    paths = list(kust.get("resources", []))
    for gen in kust.get("configMapGenerator", []) + kust.get("secretGenerator", []):
        paths += gen.get("files", [])
    paths += [p["path"] for p in kust.get("patches", []) if "path" in p]
    for entry in paths:
        assert (folder / entry).exists(), f"{folder}: {entry}"


def test_every_service_manifest_is_deployed() -> None:
    listed = set(_kustomization(BASE)["resources"])
    for path in sorted((BASE / "services").glob("*.yaml")):
        assert f"services/{path.name}" in listed, path.name
        assert path.stem in PORTS


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_files_keep_the_rules(overlay: str) -> None:
    resources = listed_resources(OVERLAYS[overlay])
    configmaps = generated_configmaps(OVERLAYS[overlay])
    check_workloads(resources, configmaps)
    check_network_policies(resources)
    check_nats(resources, configmaps, overlay)
    check_databases(resources, overlay)
    check_ingress(resources)
    check_test_doubles(resources, overlay)
    validate_schemas(resources)


def check_test_doubles(resources: list[dict], overlay: str) -> None:
    """The local test payment provider and the provisioning simulator run in dev,
    never in production."""
    names = {app_name(d) for d in portail_deployments(resources)}
    expected = TEST_DOUBLES if overlay == "dev" else set()
    assert TEST_DOUBLES & names == expected, overlay


def test_base_autoscales_every_deployment() -> None:
    resources = listed_resources(BASE)
    targets = {
        h["spec"]["scaleTargetRef"]["name"] for h in of_kind(resources, "HorizontalPodAutoscaler")
    }
    assert targets == {d["metadata"]["name"] for d in portail_deployments(resources)}


def _kustomize_command() -> list[str] | None:
    if shutil.which("kubectl"):
        # kubectl before 1.21 embeds kustomize v2, which lacks `patches:` (Debian's
        # kubernetes-client is 1.20): such a kubectl is not used.
        done = subprocess.run(
            ["kubectl", "version", "--client"], capture_output=True, text=True, check=False
        )
        found = re.search(r"Kustomize Version: v(\d+)", done.stdout)
        if found and int(found.group(1)) >= 4:
            return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    return None


@pytest.mark.skipif(
    _kustomize_command() is None,
    reason="neither kubectl nor kustomize on PATH: rendering not checked (the file checks ran)",
)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_and_keeps_the_rules(overlay: str) -> None:
    command = [*_kustomize_command(), str(OVERLAYS[overlay])]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    resources = [doc for doc in yaml.safe_load_all(done.stdout) if doc]
    assert all(r["metadata"].get("namespace", "portail") == "portail" for r in resources)
    configmaps = rendered_configmaps(resources)
    check_workloads(resources, configmaps)
    check_network_policies(resources)
    check_nats(resources, configmaps, overlay)
    check_databases(resources, overlay)
    check_ingress(resources)
    check_test_doubles(resources, overlay)
    validate_schemas(resources)
    check_portal_address(resources, configmaps, overlay)

    deployments = portail_deployments(resources)
    autoscaled = of_kind(resources, "HorizontalPodAutoscaler")
    (nats,) = [s for s in of_kind(resources, "StatefulSet") if s["metadata"]["name"] == "nats"]
    if overlay == "dev":
        assert all(d["spec"]["replicas"] == 1 for d in deployments)
        assert not autoscaled
        assert nats["spec"]["replicas"] == 1
        assert configmaps_value(configmaps, "PORTAL_NATS_STREAM_REPLICAS") == "1"
    else:
        assert len(autoscaled) == len(deployments)
        assert nats["spec"]["replicas"] == 3
        assert configmaps_value(configmaps, "PORTAL_NATS_STREAM_REPLICAS") == "3"
        assert all(":" in container(d)["image"] for d in deployments)


def check_portal_address(
    resources: list[dict], configmaps: dict[str, dict[str, str]], overlay: str
) -> None:
    """PORTAL_WEB_URL is where the portal's Ingress answers (once the overlay's
    patches applied): e-mailed links and payment returns lead to its pages. In
    production over HTTPS, on the Ingress's certificate."""
    url = urlsplit(configmaps_value(configmaps, "PORTAL_WEB_URL"))
    (web,) = [i for i in of_kind(resources, "Ingress") if i["metadata"]["name"] == WEB]
    assert [rule["host"] for rule in web["spec"]["rules"]] == [url.hostname], overlay
    assert not url.path.strip("/") and url.port is None, f"{overlay}: {url.geturl()}"
    if overlay == "production":
        assert url.scheme == "https", "production: the portal over HTTPS"
        assert any(url.hostname in tls["hosts"] for tls in web["spec"]["tls"])
    else:
        assert url.scheme == "http" and url.hostname.endswith(".localhost"), url.geturl()


def configmaps_value(configmaps: dict[str, dict[str, str]], key: str) -> str:
    (value,) = [data[key] for data in configmaps.values() if key in data]
    return value


def test_dev_postgres_has_a_database_per_service() -> None:
    dev = OVERLAYS["dev"]
    services = service_names(listed_resources(dev))
    secrets = {g["name"]: g for g in _kustomization(dev)["secretGenerator"]}
    init_sql = (dev / "init.sql").read_text()
    for name in services:
        secret = secrets[f"{name}-db-app"]
        assert secret["options"]["disableNameSuffixHash"] is True  # the name the service reads
        assert secret["literals"] == [f"uri=postgresql://{name}:{name}-dev@postgres:5432/{name}"]
        assert f"CREATE ROLE {name} LOGIN PASSWORD '{name}-dev';" in init_sql
        assert f"CREATE DATABASE {name} OWNER {name};" in init_sql


def test_dev_shares_a_webhook_secret_between_billing_and_the_provider() -> None:
    secrets = {g["name"]: g for g in _kustomization(OVERLAYS["dev"])["secretGenerator"]}
    secret = secrets[WEBHOOK_SECRET["secretKeyRef"]["name"]]
    assert secret["options"]["disableNameSuffixHash"] is True  # created by hand in production
    (literal,) = secret["literals"]
    key, _, value = literal.partition("=")
    assert key == WEBHOOK_SECRET["secretKeyRef"]["key"] and value


def test_dev_gives_the_portal_a_valid_session_key_and_production_none() -> None:
    from cryptography.fernet import Fernet

    secrets = {g["name"]: g for g in _kustomization(OVERLAYS["dev"])["secretGenerator"]}
    secret = secrets[SESSION_KEYS["secretKeyRef"]["name"]]
    assert secret["options"]["disableNameSuffixHash"] is True  # the name the portal reads
    (literal,) = secret["literals"]
    key, _, value = literal.partition("=")
    assert key == SESSION_KEYS["secretKeyRef"]["key"]
    for one in value.split(","):
        Fernet(one)  # raises when it is not a Fernet key
    # Production's keys are created by hand (README), never written in the manifests.
    production = _kustomization(OVERLAYS["production"]).get("secretGenerator", [])
    assert SESSION_KEYS["secretKeyRef"]["name"] not in {g["name"] for g in production}


def test_dev_gives_billing_a_valid_iban_key() -> None:
    from cryptography.fernet import Fernet

    secrets = {g["name"]: g for g in _kustomization(OVERLAYS["dev"])["secretGenerator"]}
    secret = secrets[IBAN_KEYS["secretKeyRef"]["name"]]
    assert secret["options"]["disableNameSuffixHash"] is True  # created by hand in production
    (literal,) = secret["literals"]
    key, _, value = literal.partition("=")
    assert key == IBAN_KEYS["secretKeyRef"]["key"]
    Fernet(value)  # raises when it is not a Fernet key
