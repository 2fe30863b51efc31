#!/usr/bin/env python3
"""deploy/k8s/networkpolicy.yaml against the connection map in the repository.

The map: every service's upstream variables (MVOI_<SERVICE>_<UPSTREAM>_API|PUB =
tcp://<host>:<port>) in deploy/k8s/configmap.yaml, which must equal the same variables in
deploy/compose.yaml (both deployments connect the same way); the short MVOI_<X>_API|PUB
variables there are mvoictl's (an operator pod labelled app.kubernetes.io/name: mvoictl).
Expected ingress on the bus ports, exactly: each client pod on the port it connects to, a
service's own pod on its own API port (kubectl exec <service>-0 -- mvoictl), nothing else; a
default deny for every pod; no rule without `from`, no ipBlock or namespaceSelector.

  check_netpol.py REPO_ROOT              check the repository's files
  check_netpol.py --self-test REPO_ROOT  also: broken copies of the policy must be refused
"""
import copy
import re
import sys

import yaml

SERVICES = {  # name -> environment prefix
    "calendar": "CALENDAR",
    "impact-calculator": "IMPACT_CALCULATOR",
    "kpi-aggregator": "KPI_AGGREGATOR",
    "notifier": "NOTIFIER",
    "report": "REPORT",
    "gateway": "GATEWAY",
}
OPS = "mvoictl"
EP = re.compile(r"^tcp://([a-z0-9-]+):(\d+)$")


def edges_of(env, client_of_var):
    """{(client, server, port)} from the variables whose value is tcp://host:port."""
    out = set()
    for var, val in env.items():
        m = EP.match(str(val or ""))
        if not m or m.group(1) == "0.0.0.0":
            continue
        client = client_of_var(var)
        if client:
            out.add((client, m.group(1), int(m.group(2))))
    return out


def client_in_configmap(var):
    name = var[len("MVOI_"):] if var.startswith("MVOI_") else var
    for svc, prefix in SERVICES.items():
        rest = name[len(prefix) + 1:] if name.startswith(prefix + "_") else None
        if rest and rest not in ("API", "PUB"):
            return svc                  # MVOI_<SERVICE>_<UPSTREAM>_API: the service's
    return OPS                          # MVOI_<X>_API: mvoictl's short names


def service_ports(docs):
    """{service: (api, pub)} from the containers' ports named api/pub."""
    out = {}
    for d in docs:
        if not d or d.get("kind") not in ("StatefulSet", "Deployment"):
            continue
        name = d["metadata"]["name"]
        ports = {}
        for c in d["spec"]["template"]["spec"]["containers"]:
            for p in c.get("ports", []):
                ports[p.get("containerPort")] = p
        bus = sorted(p for p in ports if 7000 <= p < 8000)
        if bus:
            out[name] = bus
    return out


def expected(cm_edges, ports):
    want = set()
    for client, server, port in cm_edges:
        want.add((client, server, port))
    for svc, bus in ports.items():
        want.add((svc, svc, min(bus)))   # the API is the lower port of the pair
    return want


def allowed(policies, errors):
    """{(source name, target name, port)} the policies admit on bus ports."""
    got = set()
    deny_all = False
    for p in policies:
        spec = p.get("spec", {})
        where = p["metadata"]["name"]
        sel = spec.get("podSelector", {}).get("matchLabels", {})
        if spec.get("podSelector") == {} and not spec.get("ingress"):
            deny_all = "Ingress" in spec.get("policyTypes", [])
            continue
        target = sel.get("app.kubernetes.io/name")
        for rule in spec.get("ingress", []):
            ports = [x.get("port") for x in rule.get("ports", [])]
            bus = [x for x in ports if isinstance(x, int) and 7000 <= x < 8000]
            if not bus:
                continue
            if not rule.get("from"):
                errors.append(f"{where}: ports {bus} open to every source (no from)")
                continue
            if not target:
                errors.append(f"{where}: bus ports for pods without app.kubernetes.io/name")
                continue
            for src in rule["from"]:
                if set(src) != {"podSelector"}:
                    errors.append(f"{where}: a source other than a pod of the namespace: {src}")
                    continue
                labels = src["podSelector"].get("matchLabels", {})
                name = labels.get("app.kubernetes.io/name")
                if not name or labels.get("app.kubernetes.io/part-of") != "mvoi":
                    errors.append(f"{where}: a source that is not one named mvoi pod: {labels}")
                    continue
                for port in bus:
                    got.add((name, target, port))
    if not deny_all:
        errors.append("no default-deny ingress policy (podSelector {}, policyTypes [Ingress])")
    return got


def check(cm, compose, workloads, policies):
    errors = []
    env = cm["data"]
    cm_edges = edges_of(env, client_in_configmap)
    svc_edges = {e for e in cm_edges if e[0] != OPS}
    compose_edges = set()
    for svc, body in compose["services"].items():
        if svc in SERVICES:
            compose_edges |= edges_of(body.get("environment") or {}, lambda v, s=svc: s)
    for e in sorted(svc_edges ^ compose_edges):
        side = "configmap.yaml only" if e in svc_edges else "compose.yaml only"
        errors.append(f"connection {e[0]} -> {e[1]}:{e[2]} in {side}")
    ports = service_ports(workloads)
    for client, server, port in cm_edges:
        if port not in ports.get(server, []):
            errors.append(f"{client} connects to {server}:{port}, which the pod does not expose")
    want = expected(cm_edges, ports)
    got = allowed(policies, errors)
    for e in sorted(want - got):
        errors.append(f"missing: {e[0]} -> {e[1]}:{e[2]} (it connects there)")
    for e in sorted(got - want):
        errors.append(f"too open: {e[0]} -> {e[1]}:{e[2]} (nothing in the map connects there)")
    return errors, want


def load(root):
    k = f"{root}/deploy/k8s"
    cm = yaml.safe_load(open(f"{k}/configmap.yaml"))
    compose = yaml.safe_load(open(f"{root}/deploy/compose.yaml"))
    workloads = []
    for svc in SERVICES:
        workloads += list(yaml.safe_load_all(open(f"{k}/{svc}.yaml")))
    policies = [d for d in yaml.safe_load_all(open(f"{k}/networkpolicy.yaml")) if d]
    return cm, compose, workloads, policies


def find(policies, name):
    return next(p for p in policies if p["metadata"]["name"] == name)


def self_test(cm, compose, workloads, policies):
    """Each broken copy must be refused, with the message expected."""
    def add_gateway_to_notifier_pub(ps):
        ing = find(ps, "notifier-bus")["spec"]["ingress"]
        ing.append({"ports": [{"protocol": "TCP", "port": 7402}],
                    "from": [{"podSelector": {"matchLabels": {
                        "app.kubernetes.io/name": "gateway",
                        "app.kubernetes.io/part-of": "mvoi"}}}]})

    def drop_gateway_from_kpi_pub(ps):
        for rule in find(ps, "kpi-aggregator-bus")["spec"]["ingress"]:
            if rule["ports"][0]["port"] == 7302:
                rule["from"] = [s for s in rule["from"] if s["podSelector"]["matchLabels"][
                    "app.kubernetes.io/name"] != "gateway"]

    def open_calendar_api(ps):
        del find(ps, "calendar-bus")["spec"]["ingress"][0]["from"]

    def every_pod_of_the_namespace(ps):
        find(ps, "report-bus")["spec"]["ingress"][0]["from"].append(
            {"namespaceSelector": {}})

    def no_default_deny(ps):
        ps.remove(find(ps, "default-deny-ingress"))

    cases = [
        (add_gateway_to_notifier_pub, "too open: gateway -> notifier:7402"),
        (drop_gateway_from_kpi_pub, "missing: gateway -> kpi-aggregator:7302"),
        (open_calendar_api, "calendar-bus: ports [7101] open to every source"),
        (every_pod_of_the_namespace, "a source other than a pod"),
        (no_default_deny, "no default-deny"),
    ]
    bad = 0
    for fn, needle in cases:
        ps = copy.deepcopy(policies)
        fn(ps)
        errors, _ = check(cm, compose, workloads, ps)
        if not any(needle in e for e in errors):
            print(f"self-test {fn.__name__}: not refused with '{needle}': {errors}")
            bad += 1
    # the map side: a connection compose has and the configmap does not
    c2 = copy.deepcopy(compose)
    c2["services"]["gateway"]["environment"]["MVOI_GATEWAY_X_PUB"] = "tcp://notifier:7402"
    errors, _ = check(cm, c2, workloads, policies)
    if not any("gateway -> notifier:7402 in compose.yaml only" in e for e in errors):
        print(f"self-test compose_drift: not refused: {errors}")
        bad += 1
    return bad


def main(argv):
    selftest = argv[1:2] == ["--self-test"]
    root = argv[2] if selftest else argv[1]
    cm, compose, workloads, policies = load(root)
    errors, want = check(cm, compose, workloads, policies)
    for e in errors:
        print(f"networkpolicy.yaml: {e}")
    if not errors:
        print(f"networkpolicy.yaml: {len(want)} source/port pairs, each one a connection of "
              "the map (configmap.yaml = compose.yaml), nothing more")
    bad = self_test(cm, compose, workloads, policies) if selftest else 0
    if selftest and not bad:
        print("self-test: 6 broken copies refused")
    return 1 if errors or bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
