#!/usr/bin/env python3
"""mvoi's conventions on a resolved compose file (`docker-compose config` output).

Every mvoi service runs as 10001:10001 with a read-only root, a tmpfs /tmp, all
capabilities dropped and a healthcheck through its own `--healthcheck`; each LMDB owner has
its own named volume at /var/lib/mvoi/<service>; services bind tcp://0.0.0.0 and every
other tcp:// endpoint names a service of the file with that port exposed; depends_on waits
for service_healthy; only the gateway publishes a port.
"""
import re
import sys

import yaml

LMDB_OWNERS = ["calendar", "impact-calculator", "kpi-aggregator", "notifier", "report"]
ALL = LMDB_OWNERS + ["gateway"]


def main(path):
    doc = yaml.safe_load(open(path))
    svcs = doc.get("services", {})
    errors = []

    def err(where, msg):
        errors.append(f"{where}: {msg}")

    for name in ALL:
        if name not in svcs:
            err("compose", f"service {name} missing")
    vol_users = {}
    for name, s in svcs.items():
        if s.get("user") != "10001:10001":
            err(name, 'user must be "10001:10001"')
        if s.get("read_only") is not True:
            err(name, "read_only must be true")
        if not any(str(t).startswith("/tmp") for t in s.get("tmpfs", []) or []):
            err(name, "needs a tmpfs /tmp")
        if "ALL" not in (s.get("cap_drop") or []):
            err(name, "cap_drop must include ALL")
        test = (s.get("healthcheck") or {}).get("test") or []
        exe = f"/usr/local/bin/mvoi-{name}"
        if len(test) < 3 or test[0] != "CMD" or test[1] != exe or not re.match(r"^--healthcheck(=(live|ready))?$", test[2]):
            err(name, f'healthcheck.test must be ["CMD", "{exe}", "--healthcheck..."]')
        for dep, cond in (s.get("depends_on") or {}).items():
            if (cond or {}).get("condition") != "service_healthy":
                err(name, f"depends_on {dep} must wait for service_healthy")
            if dep not in svcs:
                err(name, f"depends_on unknown service {dep}")
        if s.get("ports") and name != "gateway":
            err(name, "only the gateway publishes a port")
        env = s.get("environment") or {}
        if env.get("MVOI_DATA_DIR") != "/var/lib/mvoi":
            err(name, "MVOI_DATA_DIR must be /var/lib/mvoi")
        prefix = "MVOI_" + re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_"
        exposed = {int(p) for p in s.get("expose", []) or []}
        for k, v in env.items():
            m = re.match(r"^tcp://([^:/]+):(\d+)$", str(v or ""))
            if not m:
                continue
            host, port = m.group(1), int(m.group(2))
            if host == "0.0.0.0":
                if not k.startswith(prefix):
                    err(name, f"{k} binds {v} but is not one of its keys")
                if port not in exposed:
                    err(name, f"{k} binds port {port}, not in expose")
            else:
                t = svcs.get(host)
                if t is None:
                    err(name, f"{k}={v}: no service {host}")
                elif port not in {int(p) for p in t.get("expose", []) or []}:
                    err(name, f"{k}={v}: {host} does not expose {port}")
                if host == name:
                    err(name, f"{k}={v}: a service must not connect to itself by name")
        for own in ("API", "PUB"):
            key = f"{prefix}{own}"
            if name in LMDB_OWNERS and not str(env.get(key, "")).startswith("tcp://0.0.0.0:"):
                err(name, f"{key} must bind tcp://0.0.0.0:<port>")
        mounts = s.get("volumes") or []
        data = [m for m in mounts if isinstance(m, dict) and m.get("type") == "volume"
                or isinstance(m, str) and not m.startswith("/")]
        for m in data:
            src = m["source"] if isinstance(m, dict) else m.split(":")[0]
            tgt = m["target"] if isinstance(m, dict) else m.split(":")[1]
            vol_users.setdefault(src, []).append(name)
            if tgt != f"/var/lib/mvoi/{name}":
                err(name, f"volume {src} must be mounted at /var/lib/mvoi/{name}, not {tgt}")
        if name in LMDB_OWNERS and len(data) != 1:
            err(name, "an LMDB owner needs exactly one named volume")
    for vol, users in vol_users.items():
        if len(users) > 1:
            err("compose", f"volume {vol} shared by {', '.join(users)} (one LMDB writer per environment)")
        if vol not in (doc.get("volumes") or {}):
            err("compose", f"volume {vol} not declared")
    for e in errors:
        print("FAIL " + e, file=sys.stderr)
    if errors:
        return 1
    print(f"compose conventions: ok ({len(svcs)} services, {len(vol_users)} volumes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
