#!/usr/bin/env python3
"""Offline, strict Kubernetes manifest validation (no cluster, no network).

    k8s_validate.py [-k 1.31.0] [--auction-checks] [--external-secret NAME]... FILE... ('-' = stdin)

Needs `pip install kubernetes-validate==1.37.0` (it bundles the JSON schemas of k8s 1.25-1.37).
Unlike the `kubernetes-validate` CLI it
  * uses the strict schemas (unknown fields such as `protocl:` or `minAvailabe:` are errors),
  * reports every error of every resource, not only the first one,
  * fails on a kind it has no schema for (a typo like `Deploymnet`, or a CRD: pass --skip-kind),
  * fails on duplicate resources and on documents that are not objects,
  * skips kustomize's own files (kustomize.config.k8s.io), so base files can be passed directly.

With --auction-checks it also checks the relations a schema cannot see, on a full render: Service,
PodDisruptionBudget and NetworkPolicy selectors select pods, HPA targets exist, referenced
ConfigMaps and Secrets exist (or are declared with --external-secret), named ports exist, the
container hardening and resources are set, and the auction cluster's addressing is consistent
(node seeds and the gateways' node list name exactly the StatefulSet's pods, spelled as the pods
advertise themselves).

Exit status: 0 when everything is valid, 1 otherwise; every problem is printed as a FAIL line.
"""
from __future__ import annotations

import argparse
import ipaddress
import re
import sys
from typing import Any, Iterable

import jsonschema
import yaml
from kubernetes_validate import utils as kv
from referencing import Registry, Resource

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
VERBOSE = True



def all_interfaces(value: str | None, with_port: bool = False) -> bool:
    """Whether `value` (an address, or `address:port`) is the IPv4 unspecified address: a pod must
    listen on every interface, or neither probes nor peers reach it."""
    if not value:
        return False
    host = value.rsplit(":", 1)[0] if with_port else value
    if with_port and ":" not in value:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.version == 4 and address.is_unspecified

def info(message: str) -> None:
    """A line about a valid or skipped resource (silenced by --quiet)."""
    if VERBOSE:
        print(message)


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def schema_dir_for(desired: str) -> tuple[str, str]:
    candidates = [v for v in kv.all_versions() if version_key(v)[:2] <= version_key(desired)[:2]]
    if not candidates:
        sys.exit(f"FATAL kubernetes-validate has no schemas for Kubernetes {desired}")
    version = candidates[-1]
    return version, f"kubernetes-json-schema/v{version}-local-strict"


def load_documents(path: str) -> list[tuple[str, Any]]:
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    label = "<stdin>" if path == "-" else path
    try:
        return [(label, doc) for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as error:
        return [(label, error)]


def describe(doc: dict) -> str:
    meta = doc.get("metadata") or {}
    namespace = f"{meta['namespace']}/" if isinstance(meta, dict) and meta.get("namespace") else ""
    name = meta.get("name") if isinstance(meta, dict) else None
    return f"{doc.get('kind')}/{namespace}{name}"


class Report:
    def __init__(self) -> None:
        self.failures = 0

    def fail(self, where: str, message: str) -> None:
        self.failures += 1
        print(f"FAIL {where}: {message}")


# --------------------------------------------------------------------------------------------
# Schema validation
# --------------------------------------------------------------------------------------------

def validate_schemas(docs: list[tuple[str, Any]], desired: str, skip_kinds: set[str], report: Report) -> list[dict]:
    version, schema_dir = schema_dir_for(desired)
    definitions = Resource.from_contents(kv.schema_contents(f"{schema_dir}/_definitions.json", desired))
    seen: dict[tuple, str] = {}
    resources = []
    for source, doc in docs:
        if isinstance(doc, yaml.YAMLError):
            report.fail(source, f"YAML parse error: {doc}")
            continue
        if not isinstance(doc, dict):
            report.fail(source, f"document is a {type(doc).__name__}, not an object")
            continue
        api_version, kind = doc.get("apiVersion"), doc.get("kind")
        where = f"{source}: {describe(doc)}"
        if not isinstance(api_version, str) or not isinstance(kind, str):
            report.fail(where, "apiVersion and kind must both be strings")
            continue
        if api_version.startswith("kustomize.config.k8s.io/"):
            info(f"skip {where} (kustomize file, not a resource)")
            continue
        if kind in skip_kinds:
            info(f"skip {where} (--skip-kind)")
            continue
        api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
        try:
            schema = kv.schema_contents(f"{schema_dir}/{kind.lower()}-{api}.json", desired)
        except FileNotFoundError:
            report.fail(where, f"no schema for {api_version} {kind} in Kubernetes {version} (misspelt kind or apiVersion?)")
            continue
        registry = definitions @ (Resource.from_contents(schema) @ Registry())
        validator = jsonschema.Draft202012Validator(schema, registry=registry)
        errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
        for error in errors:
            path = ".".join(str(p) for p in error.absolute_path) or "<root>"
            report.fail(where, f"{path}: {error.message}")
        meta = doc.get("metadata") or {}
        key = (api_version.split("/")[0] if "/" in api_version else "", kind, meta.get("namespace"), meta.get("name"))
        if key in seen:
            report.fail(where, f"duplicate of the resource in {seen[key]}")
        seen[key] = source
        if not errors:
            info(f"ok   {where}")
        resources.append(doc)
    return resources


# --------------------------------------------------------------------------------------------
# Cross-resource checks (--auction-checks)
# --------------------------------------------------------------------------------------------

def labels_match(selector: dict | None, labels: dict) -> bool:
    """Kubernetes label-selector semantics (matchLabels + matchExpressions); None/{} matches all."""
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def pod_template(doc: dict) -> dict | None:
    if doc.get("kind") in WORKLOAD_KINDS:
        return (doc.get("spec") or {}).get("template")
    return None


def containers_of(template: dict) -> Iterable[dict]:
    spec = template.get("spec") or {}
    yield from spec.get("initContainers") or []
    yield from spec.get("containers") or []


def container_env(container: dict, configmaps: dict[str, dict]) -> dict[str, str]:
    """The container's environment as far as it is known statically (ConfigMaps only)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        ref = source.get("configMapRef")
        if ref and ref.get("name") in configmaps:
            prefix = source.get("prefix", "")
            env.update({prefix + k: str(v) for k, v in (configmaps[ref["name"]].get("data") or {}).items()})
    for variable in container.get("env") or []:
        if "value" in variable:
            env[variable["name"]] = str(variable["value"])
        else:
            ref = (variable.get("valueFrom") or {}).get("configMapKeyRef")
            if ref and ref.get("name") in configmaps:
                data = configmaps[ref["name"]].get("data") or {}
                if ref.get("key") in data:
                    env[variable["name"]] = str(data[ref["key"]])
    return env


def check_references(resources: list[dict], external_secrets: set[str], report: Report) -> None:
    def names(kind: str, namespace: str | None) -> set[str]:
        return {r["metadata"]["name"] for r in resources
                if r.get("kind") == kind and r["metadata"].get("namespace") == namespace}

    for doc in resources:
        template = pod_template(doc)
        if not template:
            continue
        namespace = doc["metadata"].get("namespace")
        configmaps, secrets = names("ConfigMap", namespace), names("Secret", namespace) | external_secrets
        where = describe(doc)
        wanted: list[tuple[str, str]] = []
        for container in containers_of(template):
            for source in container.get("envFrom") or []:
                if "configMapRef" in source and not source["configMapRef"].get("optional"):
                    wanted.append(("ConfigMap", source["configMapRef"]["name"]))
                if "secretRef" in source and not source["secretRef"].get("optional"):
                    wanted.append(("Secret", source["secretRef"]["name"]))
            for variable in container.get("env") or []:
                value_from = variable.get("valueFrom") or {}
                if "configMapKeyRef" in value_from and not value_from["configMapKeyRef"].get("optional"):
                    wanted.append(("ConfigMap", value_from["configMapKeyRef"]["name"]))
                if "secretKeyRef" in value_from and not value_from["secretKeyRef"].get("optional"):
                    wanted.append(("Secret", value_from["secretKeyRef"]["name"]))
        for volume in (template.get("spec") or {}).get("volumes") or []:
            if "configMap" in volume and not volume["configMap"].get("optional"):
                wanted.append(("ConfigMap", volume["configMap"]["name"]))
            if "secret" in volume and not volume["secret"].get("optional"):
                wanted.append(("Secret", volume["secret"]["secretName"]))
        for kind, name in sorted(set(wanted)):
            if name not in (configmaps if kind == "ConfigMap" else secrets):
                hint = " (declare an out-of-band Secret with --external-secret)" if kind == "Secret" else ""
                report.fail(where, f"references {kind} {name!r}, which is not in the render{hint}")


def check_selectors(resources: list[dict], report: Report) -> None:
    workloads = [r for r in resources if pod_template(r)]

    def selected(namespace: str | None, selector: dict | None) -> list[dict]:
        return [w for w in workloads if w["metadata"].get("namespace") == namespace
                and labels_match(selector, (pod_template(w).get("metadata") or {}).get("labels") or {})]

    def named_ports(pods: list[dict]) -> set[str]:
        return {p["name"] for w in pods for c in containers_of(pod_template(w)) for p in c.get("ports") or [] if "name" in p}

    for doc in resources:
        kind, namespace, where = doc.get("kind"), doc["metadata"].get("namespace"), describe(doc)
        spec = doc.get("spec") or {}
        if kind in WORKLOAD_KINDS:
            selector = spec.get("selector")
            labels = (pod_template(doc).get("metadata") or {}).get("labels") or {}
            if selector is not None and not labels_match(selector, labels):
                report.fail(where, "spec.selector does not match the pod template's labels")
        elif kind == "Service" and spec.get("selector"):
            pods = selected(namespace, {"matchLabels": spec["selector"]})
            if not pods:
                report.fail(where, f"selector {spec['selector']} selects no workload")
            for port in spec.get("ports") or []:
                target = port.get("targetPort")
                if isinstance(target, str) and pods and target not in named_ports(pods):
                    report.fail(where, f"targetPort {target!r} is not a named container port of the selected pods")
        elif kind == "PodDisruptionBudget":
            if not selected(namespace, spec.get("selector")):
                report.fail(where, "selector selects no workload")
        elif kind == "NetworkPolicy":
            pods = selected(namespace, spec.get("podSelector"))
            if not pods:
                report.fail(where, "podSelector selects no workload")
            for rule in spec.get("ingress") or []:
                for peer in rule.get("from") or []:
                    if "podSelector" in peer and "namespaceSelector" not in peer and not selected(namespace, peer["podSelector"]):
                        report.fail(where, f"ingress peer {peer['podSelector']} selects no workload")
                for port in rule.get("ports") or []:
                    if isinstance(port.get("port"), str) and port["port"] not in named_ports(pods):
                        report.fail(where, f"port {port['port']!r} is not a named container port of the selected pods")
        elif kind == "HorizontalPodAutoscaler":
            target = spec.get("scaleTargetRef") or {}
            if not any(w.get("kind") == target.get("kind") and w["metadata"]["name"] == target.get("name")
                       and w["metadata"].get("namespace") == namespace for w in workloads):
                report.fail(where, f"scaleTargetRef {target.get('kind')}/{target.get('name')} is not in the render")
            if spec.get("minReplicas", 1) > spec.get("maxReplicas", 0):
                report.fail(where, "minReplicas is above maxReplicas")
        if kind == "StatefulSet":
            service = [r for r in resources if r.get("kind") == "Service" and r["metadata"]["name"] == spec.get("serviceName")
                       and r["metadata"].get("namespace") == namespace]
            if not service:
                report.fail(where, f"serviceName {spec.get('serviceName')!r} is not a Service in the render")
            elif (service[0].get("spec") or {}).get("clusterIP") != "None":
                report.fail(where, f"serviceName {spec.get('serviceName')!r} is not a headless Service")


def check_hardening(resources: list[dict], report: Report) -> None:
    for doc in resources:
        template = pod_template(doc)
        if not template:
            continue
        where = describe(doc)
        pod = template.get("spec") or {}
        pod_security = pod.get("securityContext") or {}
        if pod.get("automountServiceAccountToken") is not False:
            report.fail(where, "automountServiceAccountToken must be false (no pod talks to the API)")
        if pod.get("enableServiceLinks") is not False:
            report.fail(where, "enableServiceLinks must be false (service links inject AUCTION_* variables)")
        for container in containers_of(template):
            cwhere = f"{where} container {container.get('name')}"
            security = container.get("securityContext") or {}
            if not (security.get("runAsNonRoot", pod_security.get("runAsNonRoot"))):
                report.fail(cwhere, "runAsNonRoot is not set")
            if security.get("readOnlyRootFilesystem") is not True:
                report.fail(cwhere, "readOnlyRootFilesystem is not true")
            if security.get("allowPrivilegeEscalation") is not False:
                report.fail(cwhere, "allowPrivilegeEscalation is not false")
            if "ALL" not in ((security.get("capabilities") or {}).get("drop") or []):
                report.fail(cwhere, "capabilities are not dropped (drop: [ALL])")
            resources_ = container.get("resources") or {}
            for section in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if resource not in (resources_.get(section) or {}):
                        report.fail(cwhere, f"resources.{section}.{resource} is not set")
            for probe in ("readinessProbe", "livenessProbe"):
                if probe not in container:
                    report.fail(cwhere, f"{probe} is missing")


def check_auction_addressing(resources: list[dict], report: Report) -> None:
    """Nodes advertise `$(AUCTION_NODE_ID).<headless service>`; seeds and the gateways' node list must
    name exactly the StatefulSet's pods in that spelling (the re-dial loop compares strings)."""
    configmaps = {(r["metadata"].get("namespace"), r["metadata"]["name"]): r for r in resources if r.get("kind") == "ConfigMap"}
    by_namespace: dict[str | None, set[str]] = {}
    node_sets = []
    for doc in resources:
        if doc.get("kind") != "StatefulSet":
            continue
        namespace = doc["metadata"].get("namespace")
        cms = {name: cm for (ns, name), cm in configmaps.items() if ns == namespace}
        for container in containers_of(pod_template(doc)):
            env = container_env(container, cms)
            advertise = env.get("AUCTION_NODE_ADVERTISE_HOST")
            if advertise is None:
                continue
            where = f"{describe(doc)} container {container.get('name')}"
            spec = doc["spec"]
            expected_host = f"$(AUCTION_NODE_ID).{spec.get('serviceName')}"
            if advertise != expected_host:
                report.fail(where, f"AUCTION_NODE_ADVERTISE_HOST is {advertise!r}, expected {expected_host!r} (the pod's DNS name in its headless Service)")
            names = [v["name"] for v in container.get("env") or []]
            node_id = next((v for v in container.get("env") or [] if v["name"] == "AUCTION_NODE_ID"), None)
            if not node_id or ((node_id.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath") != "metadata.name":
                report.fail(where, "AUCTION_NODE_ID must come from fieldRef metadata.name")
            elif names.index("AUCTION_NODE_ID") > names.index("AUCTION_NODE_ADVERTISE_HOST"):
                report.fail(where, "AUCTION_NODE_ID must be defined before AUCTION_NODE_ADVERTISE_HOST for $(...) to expand")
            if not all_interfaces(env.get("AUCTION_NODE_LISTEN_IP")):
                report.fail(where, "AUCTION_NODE_LISTEN_IP must be the unspecified address (every interface) in a pod")
            if not all_interfaces(env.get("AUCTION_NODE_HTTP"), with_port=True):
                report.fail(where, "AUCTION_NODE_HTTP must listen on every interface in a pod (probes and Prometheus)")
            port = env.get("AUCTION_NODE_CLUSTER_PORT", "7101")
            expected = {f"{doc['metadata']['name']}-{i}.{spec.get('serviceName')}:{port}" for i in range(spec.get("replicas", 1))}
            node_sets.append((namespace, expected))
            by_namespace.setdefault(namespace, set()).update(expected)
            seeds = {s for s in env.get("AUCTION_NODE_SEEDS", "").split(",") if s}
            if seeds != expected:
                report.fail(where, f"AUCTION_NODE_SEEDS {sorted(seeds)} != the StatefulSet's pods {sorted(expected)}")
            drain_ms = int(env.get("AUCTION_NODE_DRAIN_TIMEOUT_MS", "20000"))
            grace = (pod_template(doc).get("spec") or {}).get("terminationGracePeriodSeconds", 30)
            if grace < drain_ms / 1000 + 10:
                report.fail(where, f"terminationGracePeriodSeconds {grace} leaves under 10 s beyond the {drain_ms} ms drain")
    for doc in resources:
        template = pod_template(doc)
        if not template or doc.get("kind") == "StatefulSet":
            continue
        namespace = doc["metadata"].get("namespace")
        cms = {name: cm for (ns, name), cm in configmaps.items() if ns == namespace}
        for container in containers_of(template):
            env = container_env(container, cms)
            if "AUCTION_GATEWAY_NODES" not in env:
                continue
            where = f"{describe(doc)} container {container.get('name')}"
            listed = {s for s in env["AUCTION_GATEWAY_NODES"].split(",") if s}
            expected = by_namespace.get(namespace, set())
            if listed != expected:
                report.fail(where, f"AUCTION_GATEWAY_NODES {sorted(listed)} != the node pods {sorted(expected)}")
            if not all_interfaces(env.get("AUCTION_GATEWAY_LISTEN_IP")):
                report.fail(where, "AUCTION_GATEWAY_LISTEN_IP must be the unspecified address (every interface) in a pod")
            if not all_interfaces(env.get("AUCTION_GATEWAY_HTTP"), with_port=True):
                report.fail(where, "AUCTION_GATEWAY_HTTP must listen on every interface in a pod")
    if not node_sets:
        report.fail("render", "no StatefulSet sets AUCTION_NODE_ADVERTISE_HOST (auction nodes missing?)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", "--kubernetes-version", default="1.31.0", help="Kubernetes version (default 1.31.0)")
    parser.add_argument("--skip-kind", action="append", default=[], help="kind without a bundled schema (CRD) to skip")
    parser.add_argument("--auction-checks", action="store_true", help="cross-resource checks on a full render")
    parser.add_argument("--external-secret", action="append", default=[], help="Secret created outside the manifests")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only problems and the summary")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()

    report = Report()
    global VERBOSE
    VERBOSE = not args.quiet
    docs = [doc for path in args.files for doc in load_documents(path)]
    if not docs:
        report.fail(" ".join(args.files), "no documents")
    resources = validate_schemas(docs, args.kubernetes_version, set(args.skip_kind), report)
    if args.auction_checks and resources:
        for resource in resources:
            resource.setdefault("metadata", {}).setdefault("name", None)
        try:
            check_references(resources, set(args.external_secret), report)
            check_selectors(resources, report)
            check_hardening(resources, report)
            check_auction_addressing(resources, report)
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            # Malformed resources (already reported by the schema check) can trip the checks.
            report.fail("cross-resource checks", f"stopped on a malformed resource: {error!r}")
    print(f"{len(resources)} resource(s), {report.failures} problem(s)")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
