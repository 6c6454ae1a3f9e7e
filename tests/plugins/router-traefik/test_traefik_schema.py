"""router.traefik's output against Traefik v3's published file-provider JSON schema.

Runs router_traefik_dump (built next to the tests) for several configurations, parses the
YAML and validates it with jsonschema; also checks the rules, services and ports a reader
(Traefik) would act on. Needs python3-jsonschema and python3-yaml.
"""
import json
import os
import subprocess
import sys

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "traefik-v3-file-provider.schema.json")
DUMP = os.path.join(os.environ["STEADYPROXY_BUILD_DIR"], "bin", "router_traefik_dump")

failures = []


def render(*args):
    proc = subprocess.run([DUMP, *args], capture_output=True, text=True, timeout=30)
    if proc.returncode != 0:
        raise AssertionError("router_traefik_dump %s failed: %s" % (" ".join(args), proc.stderr))
    return proc.stdout


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ((": " + detail) if detail and not cond else ""))
    if not cond:
        failures.append(name)


def main():
    if not os.path.exists(DUMP):
        print("FAIL %s is not built (build target router_traefik_dump)" % DUMP)
        return 1
    with open(SCHEMA) as f:
        schema = json.load(f)
    validator = jsonschema.Draft7Validator(schema)

    variants = {
        "default, 3 routes": ["--routes", "3"],
        "no routes": ["--routes", "0"],
        "no routes, no admin": ["--routes", "0", "--no-admin"],
        "proxy protocol (servers transport)": ["--routes", "2", "--set", "proxy_protocol=true"],
        "proxy protocol (load balancer)": ["--routes", "2", "--set", "proxy_protocol=true",
                                           "--set", "proxy_protocol_style=load_balancer"],
        "default certificate, other entry point": ["--routes", "2", "--set", "cert_resolver=",
                                                   "--set", "entrypoint=tls443"],
        "999 routes": ["--routes", "999"],
    }
    docs = {}
    for name, args in variants.items():
        doc = yaml.safe_load(render(*args))
        docs[name] = doc
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        check("schema: " + name, not errors, "; ".join("%s: %s" % (list(e.path), e.message) for e in errors[:5]))

    # The schema itself must be able to fail: a broken document is rejected.
    broken = json.loads(json.dumps(docs["default, 3 routes"]))
    broken["tcp"]["services"]["proxy1"]["loadBalancer"]["servers"] = []
    broken["tcp"]["routers"]["proxy1"]["priority"] = -1
    check("schema rejects a broken document", not validator.is_valid(broken))

    doc = docs["default, 3 routes"]
    for n in (1, 2, 3):
        name = "proxy%d" % n
        r = doc["tcp"]["routers"][name]
        check(name + " rule", r["rule"] == "HostSNI(`%s.example.com`)" % name, r["rule"])
        check(name + " service", r["service"] == name)
        check(name + " entry point", r["entryPoints"] == ["websecure"])
        check(name + " tls", r["tls"] == {"certResolver": "letsencrypt", "passthrough": False}, str(r["tls"]))
        s = doc["tcp"]["services"][name]["loadBalancer"]
        check(name + " address", s["servers"] == [{"address": "127.0.0.1:%d" % (9000 + n)}], str(s))
    admin = doc["http"]["routers"]["admin"]
    check("admin rule", admin["rule"] == "Host(`app.example.com`)")
    check("admin service", doc["http"]["services"]["admin"]["loadBalancer"]["servers"] == [{"url": "http://127.0.0.1:8080"}])

    check("no routes: no tcp section", "tcp" not in docs["no routes"])
    check("no routes, no admin: empty document", docs["no routes, no admin"] in ({}, None))

    pp = docs["proxy protocol (servers transport)"]["tcp"]
    transport = pp["services"]["proxy1"]["loadBalancer"].get("serversTransport")
    check("pp2 transport referenced", bool(transport))
    check("pp2 transport version 2", pp.get("serversTransports", {}).get(transport, {}).get("proxyProtocol") == {"version": 2})
    lb = docs["proxy protocol (load balancer)"]["tcp"]["services"]["proxy2"]["loadBalancer"]
    check("pp2 on load balancer", lb.get("proxyProtocol") == {"version": 2} and "serversTransport" not in lb)

    other = docs["default certificate, other entry point"]["tcp"]["routers"]["proxy1"]
    check("no resolver: tls without certResolver", other["tls"] == {"passthrough": False}, str(other["tls"]))
    check("entry point option", other["entryPoints"] == ["tls443"])
    check("999 routes", len(docs["999 routes"]["tcp"]["routers"]) == 999)

    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
