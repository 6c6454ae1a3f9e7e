"""The deployment files hold together, checked with the tools that read them (no container
engine here, so images are not built and containers are not started):

- conf/docker-compose.yml: `docker compose config` (or docker-compose 1.29) accepts it; no
  Docker socket, no insecure dashboard, the data and router volumes shared as documented;
  Traefik's static configuration is the one in conf/traefik/ and watches the directory
  steadyproxy's router.traefik writes.
- conf/traefik/steadyproxy.yaml and conf/haproxy/steadyproxy.yaml: `steadyproxy config
  validate` accepts them (the latter merged into the shipped configuration).
- conf/systemd/steadyproxy.service (+ the HAProxy drop-ins): `systemd-analyze verify` prints
  nothing, and `systemd-analyze security --offline` rates it well.
- conf/haproxy/haproxy.cfg: what router.haproxy renders, and `haproxy -c` accepts it.
- Dockerfile: Debian 12 stages, a non-root runtime user and a data volume; every path it
  copies from the build context exists and is not in .dockerignore; every path it copies
  from the build stage is produced by `cmake --install` of this tree; every shared library
  the binary and plugins link is in a package the runtime stage installs.
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import yaml

from haproxy_support import check_config, make_pki

SOURCE = os.environ.get("STEADYPROXY_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../../..")))
BUILD = os.environ.get("STEADYPROXY_BUILD_DIR", "")
BIN = os.environ.get("STEADYPROXY_BIN", "")
PLUGIN_DIR = os.environ.get("STEADYPROXY_PLUGIN_DIR", "")
CONF = os.path.join(SOURCE, "conf")


def read(*parts):
    with open(os.path.join(SOURCE, *parts)) as f:
        return f.read()


def run(args, env=None, timeout=120, cwd=None):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


class ComposeTest(unittest.TestCase):
    def compose_command(self):
        if shutil.which("docker") and run(["docker", "compose", "version"]).returncode == 0:
            return ["docker", "compose"]
        if shutil.which("docker-compose"):
            return ["docker-compose"]
        self.fail("neither `docker compose` nor `docker-compose` is installed (apt-get install docker-compose)")

    def config(self, **env):
        e = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
        for k in ("DOMAIN", "ADMIN_PASSWORD"):
            e.pop(k, None)
        e.update(env)
        return run(self.compose_command() + ["-f", os.path.join(CONF, "docker-compose.yml"), "config"], env=e)

    def test_compose_is_valid_and_safe(self):
        r = self.config(DOMAIN="example.com", ADMIN_PASSWORD="secret")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = yaml.safe_load(r.stdout)
        services = doc["services"]
        self.assertEqual(set(services), {"traefik", "steadyproxy"})
        self.assertNotIn("docker.sock", r.stdout)
        self.assertNotIn("api.insecure", r.stdout)
        traefik, sp = services["traefik"], services["steadyproxy"]
        self.assertTrue(traefik["image"].startswith("traefik:v3"), traefik["image"])

        def mounts(service):
            out = {}
            for v in service.get("volumes", []):
                if isinstance(v, str):
                    parts = v.split(":")
                    out[parts[1]] = (parts[0], len(parts) > 2 and parts[2] == "ro")
                else:
                    out[v["target"]] = (v["source"], bool(v.get("read_only")))
            return out

        tm, sm = mounts(traefik), mounts(sp)
        # the router volume is shared: steadyproxy writes, Traefik reads
        self.assertEqual(tm["/etc/traefik/dynamic"][0], sm["/var/lib/steadyproxy-router"][0])
        self.assertTrue(tm["/etc/traefik/dynamic"][1], "Traefik must mount the router volume read-only")
        self.assertFalse(sm["/var/lib/steadyproxy-router"][1])
        self.assertIn("/var/lib/steadyproxy", sm)  # the data volume
        self.assertTrue(tm["/etc/traefik/traefik.yml"][0].endswith("conf/traefik/traefik.yml"))
        self.assertTrue(sm["/etc/steadyproxy/steadyproxy.yaml"][0].endswith("conf/traefik/steadyproxy.yaml"))
        self.assertEqual(sp["environment"]["DOMAIN"], "example.com")
        self.assertEqual(os.path.realpath(sp["build"]["context"]), os.path.realpath(SOURCE))
        # Traefik's address on the compose network is the one steadyproxy trusts
        sp_conf = yaml.safe_load(read("conf", "traefik", "steadyproxy.yaml"))
        self.assertEqual(sp_conf["admin"]["trusted_proxies"], [traefik["networks"]["edge"]["ipv4_address"]])
        self.assertEqual(sp_conf["plugins"]["router.traefik"]["directory"], "/var/lib/steadyproxy-router")

    def test_compose_requires_domain_and_password(self):
        r = self.config(ADMIN_PASSWORD="secret")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("DOMAIN", r.stdout + r.stderr)

    def test_traefik_static_configuration(self):
        t = yaml.safe_load(read("conf", "traefik", "traefik.yml"))
        self.assertEqual(t["entryPoints"]["web"]["address"], ":80")
        self.assertEqual(t["entryPoints"]["websecure"]["address"], ":443")
        self.assertEqual(t["entryPoints"]["websecure"]["transport"]["respondingTimeouts"]["readTimeout"], "0s")
        self.assertEqual(t["providers"]["file"], {"directory": "/etc/traefik/dynamic", "watch": True})
        self.assertNotIn("docker", t["providers"])
        self.assertFalse(t["api"].get("insecure", False))
        self.assertFalse(t["api"].get("dashboard", True))
        acme = t["certificatesResolvers"]["letsencrypt"]["acme"]
        self.assertTrue("tlsChallenge" in acme or "dnsChallenge" in acme)
        self.assertTrue(acme["storage"].startswith("/var/lib/traefik/"))
        # router.traefik's defaults match this file
        sp_conf = yaml.safe_load(read("conf", "traefik", "steadyproxy.yaml"))
        self.assertEqual(sp_conf["plugins"]["router.traefik"]["entrypoint"], "websecure")
        self.assertEqual(sp_conf["plugins"]["router.traefik"]["cert_resolver"], "letsencrypt")


class SteadyproxyConfigTest(unittest.TestCase):
    def validate(self, path):
        env = dict(os.environ)
        tmp = tempfile.mkdtemp(prefix="deploy-validate-")
        self.addCleanup(shutil.rmtree, tmp, True)
        env.update({"STEADYPROXY_DATA_DIR": os.path.join(tmp, "data"), "STEADYPROXY_PLUGIN_DIRS": PLUGIN_DIR,
                    "DOMAIN": "example.com"})
        return run([BIN, "--config", path, "config", "validate"], env=env)

    def test_traefik_deployment_config(self):
        r = self.validate(os.path.join(CONF, "traefik", "steadyproxy.yaml"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_haproxy_section_merged_into_shipped_config(self):
        base = yaml.safe_load(read("conf", "steadyproxy.yaml"))
        fragment = yaml.safe_load(read("conf", "haproxy", "steadyproxy.yaml"))
        self.assertIn("router.haproxy", fragment["plugins"]["load"])
        base["plugins"]["load"].append("router.haproxy")
        base["plugins"]["router.haproxy"] = fragment["plugins"]["router.haproxy"]
        tmp = tempfile.mkdtemp(prefix="deploy-haproxy-")
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, "steadyproxy.yaml")
        with open(path, "w") as f:
            yaml.safe_dump(base, f)
        r = self.validate(path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # and a broken value is caught, naming the key
        base["plugins"]["router.haproxy"]["certificate"] = "relative/cert.pem"
        with open(path, "w") as f:
            yaml.safe_dump(base, f)
        r = self.validate(path)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("plugins.router.haproxy.certificate", r.stdout + r.stderr)


class SystemdTest(unittest.TestCase):
    def setUp(self):
        if not shutil.which("systemd-analyze"):
            self.fail("systemd-analyze is not installed (Debian package systemd)")
        self.tmp = tempfile.mkdtemp(prefix="deploy-systemd-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def unit_dir(self, unit_text, name="steadyproxy.service", dropins=()):
        d = os.path.join(self.tmp, "units")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name), "w") as f:
            # verify checks that ExecStart's program exists: use the one built here
            f.write(unit_text.replace("/usr/bin/steadyproxy", BIN))
        for dropin_name, text in dropins:
            os.makedirs(os.path.join(d, name + ".d"), exist_ok=True)
            with open(os.path.join(d, name + ".d", dropin_name), "w") as f:
                f.write(text)
        return d

    def verify(self, directory, name):
        env = dict(os.environ, SYSTEMD_UNIT_PATH=directory + ":", SYSTEMD_LOG_LEVEL="info")
        return run(["systemd-analyze", "verify", "--man=no", name], env=env)

    def test_unit_verifies_cleanly(self):
        unit = read("conf", "systemd", "steadyproxy.service")
        d = self.unit_dir(unit, dropins=[("haproxy.conf", read("conf", "haproxy", "steadyproxy.service.d", "haproxy.conf"))])
        r = self.verify(d, "steadyproxy.service")
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))
        for line in ("DynamicUser=yes", "StateDirectory=steadyproxy", "NoNewPrivileges=yes", "ProtectSystem=strict",
                     "Environment=DOMAIN=", "Environment=KIOTPROXY_API_BASE=", "Environment=PROXY_PORT_START=",
                     "Environment=PROXY_PORT_END=", "Environment=HEALTH_CHECK_INTERVAL=", "Environment=ADMIN_USERNAME="):
            self.assertIn("\n" + line, unit)

    def test_verify_can_fail(self):
        unit = read("conf", "systemd", "steadyproxy.service").replace("ProtectSystem=strict", "ProtectSystem=stricter")
        r = self.verify(self.unit_dir(unit), "steadyproxy.service")
        self.assertIn("stricter", r.stdout + r.stderr)

    def test_exposure_rating(self):
        d = self.unit_dir(read("conf", "systemd", "steadyproxy.service"))
        r = run(["systemd-analyze", "security", "--offline=yes", os.path.join(d, "steadyproxy.service")])
        m = re.search(r"Overall exposure level for steadyproxy.service: ([0-9.]+)", r.stdout + r.stderr)
        self.assertTrue(m, r.stdout + r.stderr)
        self.assertLessEqual(float(m.group(1)), 2.0, r.stdout)

    def test_haproxy_dropin(self):
        unit = "/lib/systemd/system/haproxy.service"
        if not os.path.exists(unit):
            self.fail("Debian's haproxy package is not installed (apt-get install haproxy)")
        with open(unit) as f:
            text = f.read()
        d = os.path.join(self.tmp, "haproxy-units")
        os.makedirs(os.path.join(d, "haproxy.service.d"))
        with open(os.path.join(d, "haproxy.service"), "w") as f:
            f.write(text)
        shutil.copy(os.path.join(CONF, "haproxy", "haproxy.service.d", "steadyproxy.conf"), os.path.join(d, "haproxy.service.d"))
        r = self.verify(d, "haproxy.service")
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))


class HaproxyExampleTest(unittest.TestCase):
    def test_example_is_what_the_plugin_renders_and_haproxy_accepts_it(self):
        dump = os.path.join(BUILD, "bin", "router_haproxy_dump")
        self.assertTrue(os.path.exists(dump), dump + " is not built")
        example = read("conf", "haproxy", "haproxy.cfg")
        r = run([dump, "--routes", "2", "--admin-port", "8000"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(example, r.stdout, "conf/haproxy/haproxy.cfg differs from what router.haproxy renders: "
                         "regenerate it with router_haproxy_dump --routes 2 --admin-port 8000")
        tmp = tempfile.mkdtemp(prefix="deploy-haproxy-cfg-")
        self.addCleanup(shutil.rmtree, tmp, True)
        pki = make_pki(os.path.join(tmp, "pki"), "example.com")
        path = os.path.join(tmp, "haproxy.cfg")
        with open(path, "w") as f:
            f.write(example.replace("/etc/haproxy/certs/steadyproxy.pem", pki.pem))
        r = check_config(path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class DockerfileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.text = read("Dockerfile")
        lines, current = [], ""
        for raw in cls.text.splitlines():
            if raw.strip().startswith("#") and not current:
                continue
            current += raw.rstrip("\\").rstrip() + " " if raw.rstrip().endswith("\\") else raw
            if not raw.rstrip().endswith("\\"):
                if current.strip():
                    lines.append(current.strip())
                current = ""
        cls.instructions = [(l.split(None, 1)[0].upper(), l.split(None, 1)[1] if " " in l else "") for l in lines]
        cls.stages = []
        for op, arg in cls.instructions:
            if op == "FROM":
                cls.stages.append({"from": arg, "ops": []})
            elif cls.stages:
                cls.stages[-1]["ops"].append((op, arg))

    def test_debian_12_multi_stage_non_root(self):
        args = dict(re.findall(r"^ARG (\w+)=(\S+)", self.text, re.M))
        self.assertGreaterEqual(len(self.stages), 2)
        for stage in self.stages:
            image = stage["from"].split()[0]
            image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), image)
            self.assertRegex(image, r"^debian:(bookworm|12)")
        runtime = self.stages[-1]["ops"]
        users = [arg for op, arg in runtime if op == "USER"]
        self.assertTrue(users and not users[-1].startswith(("root", "0")), users)
        volumes = " ".join(arg for op, arg in runtime if op == "VOLUME")
        self.assertIn("/var/lib/steadyproxy", volumes)
        installs = " ".join(arg for op, arg in runtime if op == "RUN")
        self.assertNotIn("-dev", re.sub(r"/dev/\S*", "", installs))  # no development packages at run time

    def context_copies(self):
        for stage in self.stages:
            for op, arg in stage["ops"]:
                if op in ("COPY", "ADD") and "--from=" not in arg:
                    words = [w for w in arg.split() if not w.startswith("--")]
                    yield from words[:-1]

    def test_context_paths_exist_and_are_not_ignored(self):
        ignored = [l.strip() for l in read(".dockerignore").splitlines() if l.strip() and not l.startswith("#")]
        for src in self.context_copies():
            self.assertTrue(os.path.exists(os.path.join(SOURCE, src)) or src.startswith("www/"), src)
            for pattern in ignored:
                p = pattern.rstrip("/")
                self.assertFalse(src.rstrip("/") == p or src.startswith(p + "/"), f"{src} is excluded by .dockerignore {pattern}")
        for needed in ("build*/", "www/node_modules/", ".git"):
            self.assertIn(needed, ignored)

    def cache(self):
        values = {}
        with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
            for line in f:
                m = re.match(r"^(\w+):\w+=(.*)$", line.strip())
                if m:
                    values[m.group(1)] = m.group(2)
        return values

    def test_build_stage_outputs_exist_after_cmake_install(self):
        cache = self.cache()
        prefix = cache["CMAKE_INSTALL_PREFIX"]
        # (GNUInstallDirs caches an empty DATADIR meaning DATAROOTDIR)
        libdir = cache.get("CMAKE_INSTALL_LIBDIR") or "lib"
        datadir = cache.get("CMAKE_INSTALL_DATADIR") or cache.get("CMAKE_INSTALL_DATAROOTDIR") or "share"
        bindir = cache.get("CMAKE_INSTALL_BINDIR") or "bin"
        sysconf = "/etc" if prefix == "/usr" else prefix + "/" + (cache.get("CMAKE_INSTALL_SYSCONFDIR") or "etc")
        # The Dockerfile configures prefix /usr and libdir lib: map its paths onto this build's.
        mapping = [("/install/usr/bin/", prefix + "/" + bindir + "/"), ("/install/usr/lib/", prefix + "/" + libdir + "/"),
                   ("/install/usr/share/", prefix + "/" + datadir + "/"), ("/install/etc/", sysconf + "/")]
        self.assertIn("-DCMAKE_INSTALL_PREFIX=/usr", self.text)
        self.assertIn("-DCMAKE_INSTALL_LIBDIR=lib", self.text)
        dest = tempfile.mkdtemp(prefix="deploy-install-")
        self.addCleanup(shutil.rmtree, dest, True)
        r = run(["cmake", "--install", BUILD], env=dict(os.environ, DESTDIR=dest), timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        copied = []
        for op, arg in self.stages[-1]["ops"]:
            if op == "COPY" and "--from=build" in arg:
                src = arg.split()[1]
                for docker, local in mapping:
                    if src.startswith(docker):
                        copied.append(src)
                        path = dest + local + src[len(docker):]
                        self.assertTrue(os.path.exists(path), f"{src} (here {path}) is not installed:\n{r.stdout}")
        self.assertEqual(len(copied), 4, copied)
        plugins = sorted(os.listdir(dest + prefix + "/" + libdir + "/steadyproxy/plugins"))
        built = sorted(f for f in os.listdir(PLUGIN_DIR) if f.endswith(".so"))
        self.assertEqual(plugins, built)  # every plugin of the tree, and no fixture plugin
        self.assertFalse([p for p in plugins if "fixture" in p])
        self.assertTrue(os.path.exists(dest + sysconf + "/steadyproxy/steadyproxy.yaml"))
        if os.path.isdir(os.path.join(SOURCE, "www", "dist")):
            self.assertTrue(os.path.exists(dest + prefix + "/" + datadir + "/steadyproxy/www/index.html"))

    def test_runtime_packages_cover_linked_libraries(self):
        runtime_run = " ".join(arg for op, arg in self.stages[-1]["ops"] if op == "RUN")
        m = re.search(r"apt-get install (.*?)&&", runtime_run)
        self.assertTrue(m, runtime_run)
        packages = {w for w in m.group(1).split() if not w.startswith("-")}
        always = {"libc6", "libstdc++6", "libgcc-s1", "libcrypt1"}  # in every Debian image
        files = [BIN] + [os.path.join(PLUGIN_DIR, f) for f in os.listdir(PLUGIN_DIR) if f.endswith(".so")]
        needed = set()
        for f in files:
            r = run(["readelf", "-d", f])
            self.assertEqual(r.returncode, 0, r.stderr)
            needed |= set(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", r.stdout))
        missing = []
        for lib in sorted(needed):
            r = run(["dpkg", "-S", "*/" + lib])
            owners = {line.split(":")[0] for line in r.stdout.splitlines() if line.strip()}
            if not owners & (packages | always):
                missing.append(f"{lib} ({', '.join(sorted(owners)) or 'no package'})")
        self.assertEqual(missing, [], "libraries the runtime stage does not install")


if __name__ == "__main__":
    unittest.main(verbosity=2)
