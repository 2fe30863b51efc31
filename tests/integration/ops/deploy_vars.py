#!/usr/bin/env python3
"""Every MVOI_* variable a deploy file sets is read by some binary, and every upstream a
service needs is set where the services do not share a host (compose, Kubernetes).

   deploy_vars.py SOURCE_DIR SERVICES_BUILD_DIR

What a binary reads comes from its own --help (the same text docs/configuration.md is
made of); mvoictl has no such listing, so its few variables are named here. The deploy
files read: compose.yaml (environment of every service), k8s/*.yaml (ConfigMap data and
container env), systemd/mvoi.env and Environment= lines of the units, the Dockerfile's ENV.
"""
import glob
import os
import re
import subprocess
import sys

import yaml

SERVICES = ["calendar", "impact-calculator", "kpi-aggregator", "notifier", "report",
            "gateway"]
# mvoictl's variables (services/mvoictl/ctl.c, main.c, cmd_tender_import.c).
CTL_VARS = {"MVOI_CALENDAR_API", "MVOI_IMPACT_API", "MVOI_KPI_API", "MVOI_KPI_PUB",
            "MVOI_NOTIFIER_API", "MVOI_REPORT_API", "MVOI_BUYER", "MVOI_LANG",
            "MVOI_CTL_TIMEOUT_MS", "MVOI_CALENDAR_DATA_FILES", "MVOI_CONFIG"}
HELP_LINE = re.compile(r"^  (MVOI_[A-Z0-9_]+)\s+([\w .]+?), default (\S*)(.*)$")


def read_binaries(build):
    """{service: {var: (type, default)}}, secrets also under VAR_FILE."""
    out = {}
    for svc in SERVICES:
        exe = os.path.join(build, svc, "mvoi-" + svc)
        text = subprocess.run([exe, "--help"], capture_output=True, text=True,
                              check=True).stdout
        keys = {}
        for line in text.splitlines():
            m = HELP_LINE.match(line)
            if m:
                keys[m.group(1)] = (m.group(2), m.group(3))
                if m.group(2).startswith("secret"):
                    keys[m.group(1) + "_FILE"] = ("path", "")
        if not keys:
            sys.exit(f"FAIL: no variables in {exe} --help")
        out[svc] = keys
    return out


def upstreams(svc, keys):
    """Variables naming another service's endpoint: *_API / *_PUB other than its own,
    whose default only works when everything runs on one host."""
    prefix = "MVOI_" + svc.upper().replace("-", "_") + "_"
    own = {prefix + "API", prefix + "PUB"}
    return {k for k, (_, d) in keys.items()
            if re.search(r"_(API|PUB)$", k) and k not in own and "127.0.0.1" in d}


def compose_env(src):
    """{service: {var}} from compose.yaml (anchors resolved by the YAML loader)."""
    with open(os.path.join(src, "deploy", "compose.yaml")) as f:
        doc = yaml.safe_load(f)
    out = {}
    for name, spec in doc.get("services", {}).items():
        env = spec.get("environment") or {}
        if isinstance(env, list):
            env = dict(e.split("=", 1) if "=" in e else (e, "") for e in env)
        out[name] = set(env)
    return out


def k8s_env(src):
    """{'(configmap)': {var}, container name: {var}} from deploy/k8s/*.yaml."""
    out = {}
    for path in sorted(glob.glob(os.path.join(src, "deploy", "k8s", "*.yaml"))):
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if not isinstance(doc, dict):
                    continue
                if doc.get("kind") == "ConfigMap":
                    out.setdefault("(configmap)", set()).update(
                        k for k in (doc.get("data") or {}) if k.startswith("MVOI_"))
                pod = ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}
                for c in pod.get("containers", []) + pod.get("initContainers", []):
                    out.setdefault(c["name"], set()).update(
                        e["name"] for e in c.get("env", []) if e["name"].startswith("MVOI_"))
    return out


def systemd_env(src):
    out = {}
    d = os.path.join(src, "deploy", "systemd")
    with open(os.path.join(d, "mvoi.env")) as f:
        out["mvoi.env"] = {m.group(1) for m in
                           (re.match(r"^(MVOI_[A-Z0-9_]+)=", l) for l in f) if m}
    for unit in sorted(glob.glob(os.path.join(d, "*.service"))):
        with open(unit) as f:
            out[os.path.basename(unit)] = set(re.findall(r"^Environment=(MVOI_[A-Z0-9_]+)=",
                                                         f.read(), re.M))
    return out


def dockerfile_env(src):
    with open(os.path.join(src, "deploy", "docker", "Dockerfile")) as f:
        text = f.read().replace("\\\n", " ")
    found = set()
    for line in text.splitlines():
        if line.strip().startswith("ENV "):
            found.update(re.findall(r"(MVOI_[A-Z0-9_]+)=", line))
    return {"Dockerfile": found}


def main():
    src, build = sys.argv[1], sys.argv[2]
    bins = read_binaries(build)
    known = set(CTL_VARS)
    for keys in bins.values():
        known.update(keys)
    failures = []
    files = {"compose.yaml": compose_env(src), "k8s": k8s_env(src),
             "systemd": systemd_env(src), "docker": dockerfile_env(src)}
    checked = 0
    for fname, groups in files.items():
        for where, names in groups.items():
            for var in sorted(names):
                checked += 1
                if var not in known:
                    failures.append(f"{fname} ({where}) sets {var}, which no binary reads")
    # Upstreams: compose per container; Kubernetes through the shared ConfigMap plus the
    # container's own env.
    comp = files["compose.yaml"]
    kube = files["k8s"]
    for svc, keys in bins.items():
        need = upstreams(svc, keys)
        for var in sorted(need - comp.get(svc, set())):
            failures.append(f"compose.yaml: service {svc} needs {var} (default 127.0.0.1)")
        have = kube.get("(configmap)", set()) | kube.get(svc, set())
        for var in sorted(need - have):
            failures.append(f"k8s: {svc} needs {var} (default 127.0.0.1)")
    for f in failures:
        print("FAIL:", f)
    print(f"{checked} variables in the deploy files checked against "
          f"{len(known)} that the binaries read; {len(failures)} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
