"""compose.yaml (containers) and Procfile.stack (this machine) describe the same stack.

No Docker engine is needed: both files are parsed and checked for what each process runs,
where it listens, which database and bus it uses, and what it waits for.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PORTS = {"identity": 8101, "orgs": 8102, "files": 8103, "workflow": 8104}
SERVICES = tuple(PORTS)
GATEWAY_PORT = 8000
# Web workers per gunicorn (gunicorn.conf.py says why); each service's gunicorn adds its bus
# worker (services/common/worker.py).
WEB_WORKERS = "1"
ENV_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")


# --- reading the files ---------------------------------------------------------------------

def load_compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def load_procfile() -> dict[str, str]:
    """name -> command line, as honcho reads it (other lines are comments)."""
    processes = {}
    for line in (ROOT / "Procfile.stack").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line)
        if match:
            processes[match.group(1)] = match.group(2)
    return processes


COMPOSE = load_compose()
PROCFILE = load_procfile()


# --- small helpers -------------------------------------------------------------------------

def split_env(tokens: list[str]) -> tuple[dict[str, str], list[str]]:
    """`[env] K=V ... cmd args` -> ({K: V}, [cmd, args])."""
    if tokens[:1] == ["env"]:
        tokens = tokens[1:]
    env = {}
    while tokens and ENV_ASSIGNMENT.match(tokens[0]):
        key, _, value = tokens[0].partition("=")
        env[key] = value
        tokens = tokens[1:]
    return env, tokens


def compose_service(name: str) -> dict:
    assert name in COMPOSE["services"], f"compose.yaml has no service {name!r}"
    return COMPOSE["services"][name]


def compose_argv(name: str) -> list[str]:
    command = compose_service(name).get("command")
    assert command, f"compose service {name!r} has no command"
    return list(command) if isinstance(command, list) else shlex.split(command)


def compose_env(name: str) -> dict[str, str]:
    environment = compose_service(name).get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {key: str(value) for key, value in environment.items()}


def compose_depends(name: str) -> dict[str, str]:
    """service -> condition it waits for."""
    depends = compose_service(name).get("depends_on") or {}
    if isinstance(depends, list):
        return {other: "service_started" for other in depends}
    return {other: (spec or {}).get("condition", "service_started")
            for other, spec in depends.items()}


def init_script_lines() -> list[list[str]]:
    """The init service's shell script, one token list per command (compose's `$$` is `$`)."""
    argv = compose_argv("init")
    assert argv[0] == "sh", f"init should run a shell script, runs {argv!r}"
    script = argv[-1].replace("$$", "$")
    return [shlex.split(line) for line in script.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def procfile_command(name: str) -> tuple[dict[str, str], list[str]]:
    assert name in PROCFILE, f"Procfile.stack has no process {name!r}"
    return split_env(shlex.split(PROCFILE[name]))


def gunicorn_app(argv: list[str]) -> str | None:
    apps = [arg for arg in argv if re.fullmatch(r"[A-Za-z_][\w.]*:app", arg)]
    return apps[0] if len(apps) == 1 else None


def option(argv: list[str], short: str, long: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg in (short, long) and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(long + "="):
            return arg.split("=", 1)[1]
    return None


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def assert_gunicorn(where: str, argv: list[str], app: str, bind: str) -> None:
    assert Path(argv[0]).name == "gunicorn", f"{where} should run gunicorn, runs {argv[0]!r}"
    assert gunicorn_app(argv) == app, f"{where} should serve {app}, argv is {argv!r}"
    assert option(argv, "-b", "--bind") == bind, f"{where} should bind {bind}, argv is {argv!r}"
    assert option(argv, "-w", "--workers") == WEB_WORKERS, \
        f"{where} should run {WEB_WORKERS} web worker(s)"


def assert_service_env(where: str, env: dict[str, str], name: str, *,
                       postgres: str, rabbitmq: str, identity: str) -> None:
    """Database rencai_<name> on `postgres`, the bus on `rabbitmq`, keys from `identity`."""
    url = env.get("RENCAI_DATABASE_URL", "")
    assert url.startswith("postgresql+psycopg://"), f"{where}: database URL {url!r}"
    assert f"@{postgres}:5432/" in url, f"{where}: database should be on {postgres}: {url!r}"
    assert database_name(url) == f"rencai_{name}", f"{where}: database URL {url!r}"
    bus = env.get("RENCAI_BUS_URL", "")
    assert bus == f"amqp://guest:guest@{rabbitmq}:5672//", f"{where}: bus URL {bus!r}"
    if name != "identity":
        jwks = f"http://{identity}:8101/.well-known/jwks.json"
        assert env.get("RENCAI_JWKS_URL") == jwks, f"{where}: JWKS URL should be {jwks}"


# --- compose.yaml: the four services and their workers ---------------------------------------

@pytest.mark.parametrize("name", SERVICES)
def test_compose_service_runs_under_gunicorn(name):
    assert_gunicorn(f"compose {name}", compose_argv(name), f"services.{name}.wsgi:app",
                    f"0.0.0.0:{PORTS[name]}")


@pytest.mark.parametrize("name", SERVICES)
def test_compose_service_environment(name):
    assert_service_env(f"compose {name}", compose_env(name), name,
                       postgres="postgres", rabbitmq="rabbitmq", identity="identity")


@pytest.mark.parametrize("name", SERVICES)
def test_compose_service_healthcheck_hits_healthz(name):
    check = compose_service(name).get("healthcheck")
    assert check, f"compose {name} has no healthcheck"
    test = " ".join(check["test"]) if isinstance(check["test"], list) else check["test"]
    assert f"127.0.0.1:{PORTS[name]}/healthz" in test, f"compose {name} healthcheck: {test!r}"


@pytest.mark.parametrize("name", SERVICES)
def test_compose_service_waits_for_init(name):
    assert compose_depends(name).get("init") == "service_completed_successfully", \
        f"compose {name} should start only after init completed"


def test_every_bus_worker_runs_inside_its_services_gunicorn():
    """No separate worker containers or processes: each service's gunicorn forks its bus
    worker from its preloaded app (services/common/worker.py), in compose and on this
    machine alike, and nothing turns it off."""
    assert not [name for name in COMPOSE["services"] if name.endswith("-worker")]
    assert not [name for name in PROCFILE if name.endswith("_worker")]
    for name in SERVICES:
        assert "RENCAI_BUS_WORKERS" not in compose_env(name), f"compose {name}"
        assert "RENCAI_BUS_WORKERS" not in procfile_command(name)[0], f"Procfile {name}"


def test_compose_files_volume_is_mounted_by_files():
    files_dir = compose_env("files")["RENCAI_FILES_DIR"]
    volumes = compose_service("files").get("volumes") or []
    assert f"files:{files_dir}" in volumes, \
        f"compose files should mount the files volume at {files_dir}"
    assert "files" in COMPOSE.get("volumes", {}), "the files volume is not declared"


S3_SETTINGS = ("RENCAI_FILES_STORAGE", "RENCAI_S3_ENDPOINT_URL", "RENCAI_S3_BUCKET",
               "RENCAI_S3_ACCESS_KEY", "RENCAI_S3_SECRET_KEY", "RENCAI_S3_REGION",
               "RENCAI_FILES_LINK_SECRET_FILE")


def test_compose_files_keeps_attachments_in_minio():
    env = compose_env("files")
    assert env.get("RENCAI_FILES_STORAGE") == "s3"
    assert env.get("RENCAI_S3_ENDPOINT_URL") == "http://minio:9000"
    assert env.get("RENCAI_S3_BUCKET"), "files needs a bucket name"
    for key in S3_SETTINGS:
        assert env.get(key), f"compose files has no {key}"
    minio_env = compose_env("minio")
    assert minio_env.get("MINIO_ROOT_USER") == env["RENCAI_S3_ACCESS_KEY"]
    assert minio_env.get("MINIO_ROOT_PASSWORD") == env["RENCAI_S3_SECRET_KEY"]
    assert compose_depends("files").get("minio") == "service_healthy", \
        "compose files should wait for MinIO to be healthy"


# --- compose.yaml: init, gateway, backing services -------------------------------------------

def test_compose_init_runs_topology_migrations_and_seed_in_order():
    steps = []
    for tokens in init_script_lines():
        env, argv = split_env(tokens)
        steps.append(argv[2:] if argv[:2] == ["python", "-m"] else argv)
        if argv[2:3] == ["services.common.migrate"]:
            name = argv[3]
            variable = f"$RENCAI_{name.upper()}_DATABASE_URL"
            assert env.get("RENCAI_DATABASE_URL") == variable, \
                f"init should migrate {name} with RENCAI_DATABASE_URL={variable}"
    expected = ([["services.common.topology"]]
                + [["services.common.migrate", name] for name in SERVICES]
                + [["demo.seed"]])
    assert steps == expected, f"init steps are {steps!r}"


def test_compose_init_knows_every_database_and_the_bus():
    env = compose_env("init")
    for name in SERVICES:
        key = f"RENCAI_{name.upper()}_DATABASE_URL"
        assert env.get(key) == compose_env(name)["RENCAI_DATABASE_URL"], \
            f"init {key} should be the {name} service's database URL"
    assert env.get("RENCAI_BUS_URL") == compose_env("identity")["RENCAI_BUS_URL"]
    assert compose_service("init").get("restart") == "no", "init is one-shot"
    depends = compose_depends("init")
    for backing in ("postgres", "rabbitmq"):
        assert depends.get(backing) == "service_healthy", f"init should wait for {backing}"


def test_compose_gateway_proxies_to_the_services():
    assert_gunicorn("compose gateway", compose_argv("gateway"), "gateway.wsgi:app",
                    f"0.0.0.0:{GATEWAY_PORT}")
    env = compose_env("gateway")
    assert env.get("RENCAI_GATEWAY_MODE") == "proxy"
    for name, port in PORTS.items():
        key = f"RENCAI_{name.upper()}_URL"
        assert env.get(key) == f"http://{name}:{port}", f"gateway {key} is {env.get(key)!r}"
        assert compose_depends("gateway").get(name) == "service_healthy", \
            f"gateway should wait for {name} to be healthy"
    assert env.get("RENCAI_JWKS_URL") == "http://identity:8101/.well-known/jwks.json"
    assert f"{GATEWAY_PORT}:{GATEWAY_PORT}" in compose_service("gateway").get("ports", [])


@pytest.mark.parametrize("name, image, data_dir", [
    ("postgres", "postgres:16", "/var/lib/postgresql/data"),
    ("rabbitmq", "rabbitmq:3.13-management", "/var/lib/rabbitmq"),
    ("minio", "minio/minio:RELEASE.2025-04-22T22-12-26Z", "/data"),
])
def test_compose_backing_service_has_healthcheck_and_volume(name, image, data_dir):
    service = compose_service(name)
    assert service.get("image") == image
    assert (service.get("healthcheck") or {}).get("test"), f"{name} has no healthcheck"
    mounts = [volume.split(":") for volume in service.get("volumes") or []]
    named = [source for source, target in mounts if target == data_dir]
    assert named and named[0] in COMPOSE.get("volumes", {}), \
        f"{name} should keep {data_dir} in a declared named volume"


def test_compose_rabbitmq_publishes_amqp_and_management():
    ports = compose_service("rabbitmq").get("ports", [])
    assert {"5672:5672", "15672:15672"} <= set(ports), f"rabbitmq ports: {ports!r}"


# --- Procfile.stack ------------------------------------------------------------------------

def test_procfile_has_the_six_processes():
    expected = set(SERVICES) | {"gateway", "sms"}
    assert set(PROCFILE) == expected


# --- identity's outside systems (issue 17 §1: no development SMS sender in a deployment) ------

def test_identity_has_an_sms_gateway_and_name_check_and_is_not_development():
    sms_env, _ = procfile_command("sms")
    assert procfile_command("sms")[1] == [".venv/bin/python", "-m", "demo.fake_gateways",
                                          "--host", "127.0.0.1", "--port", "8109"]
    env, _ = procfile_command("identity")
    assert env.get("RENCAI_SMS_URL") == "http://127.0.0.1:8109/sms"
    assert env.get("RENCAI_NAME_CHECK_URL") == "http://127.0.0.1:8109/name-check"
    env = compose_env("identity")
    assert env.get("RENCAI_SMS_URL") == "${RENCAI_SMS_URL:-http://fake-gateways:8109/sms}"
    assert env.get("RENCAI_NAME_CHECK_URL") == \
        "${RENCAI_NAME_CHECK_URL:-http://fake-gateways:8109/name-check}"
    assert compose_depends("identity").get("fake-gateways") == "service_healthy"
    assert compose_argv("fake-gateways") == ["python", "-m", "demo.fake_gateways", "--host",
                                             "0.0.0.0", "--port", "8109"]
    assert not compose_service("fake-gateways").get("ports"), "the fake stays internal"
    for name in COMPOSE["services"]:
        assert compose_env(name).get("RENCAI_ENV", "") != "development", name
    for name in PROCFILE:
        assert procfile_command(name)[0].get("RENCAI_ENV", "") != "development", name


@pytest.mark.parametrize("name", SERVICES)
def test_procfile_service(name):
    env, argv = procfile_command(name)
    assert argv[0] == ".venv/bin/gunicorn", f"Procfile {name} runs {argv[0]!r}"
    assert_gunicorn(f"Procfile {name}", argv, f"services.{name}.wsgi:app",
                    f"127.0.0.1:{PORTS[name]}")
    assert_service_env(f"Procfile {name}", env, name,
                       postgres="127.0.0.1", rabbitmq="127.0.0.1", identity="127.0.0.1")
    # its own role, never the superuser
    assert env["RENCAI_DATABASE_URL"].startswith(f"postgresql+psycopg://rencai_{name}@127.0.0.1:5432/")


def test_procfile_gateway():
    env, argv = procfile_command("gateway")
    assert_gunicorn("Procfile gateway", argv, "gateway.wsgi:app", f"127.0.0.1:{GATEWAY_PORT}")
    assert argv[0] == ".venv/bin/gunicorn"
    assert env.get("RENCAI_GATEWAY_MODE") == "proxy"
    for name, port in PORTS.items():
        key = f"RENCAI_{name.upper()}_URL"
        assert env.get(key) == f"http://127.0.0.1:{port}", f"Procfile gateway {key}"
    assert env.get("RENCAI_JWKS_URL") == "http://127.0.0.1:8101/.well-known/jwks.json"


# --- every module a command names exists -----------------------------------------------------

def named_modules() -> list[str]:
    argvs = [compose_argv(name) for name, service in COMPOSE["services"].items()
             if service.get("command") and name != "init"]
    argvs += [split_env(tokens)[1] for tokens in init_script_lines()]
    argvs += [procfile_command(name)[1] for name in PROCFILE]
    argvs.append(re.findall(r'"([^"]+)"', next(
        line for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith("CMD"))))
    modules = set()
    for argv in argvs:
        modules.update(argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "-m")
        modules.update(arg.split(":")[0] for arg in argv if re.fullmatch(r"[\w.]+:app", arg))
    return sorted(modules)


@pytest.mark.parametrize("module", named_modules())
def test_named_module_exists(module):
    path = ROOT.joinpath(*module.split("."))
    assert path.with_suffix(".py").exists() or (path / "__main__.py").exists(), \
        f"{module} is run by compose.yaml, Procfile.stack or the Dockerfile but does not exist"


# --- keys and database roles (issue 17 §3) ---------------------------------------------------

KEY_SECRETS = {"pii_key": "RENCAI_PII_KEY_FILE", "signing_kek": "RENCAI_SIGNING_KEK_FILE",
               "files_link_secret": "RENCAI_FILES_LINK_SECRET_FILE",
               "service_key": "RENCAI_SERVICE_KEY_FILE"}


@pytest.mark.parametrize("process, secrets", [
    ("identity", {"pii_key", "signing_kek", "service_key"}),
    ("orgs", {"pii_key", "service_key"}), ("workflow", {"pii_key", "service_key"}),
    ("init", {"pii_key"}), ("files", {"pii_key", "files_link_secret", "service_key"}),
    ("gateway", set())])
def test_compose_keys_come_only_from_mounted_secrets(process, secrets):
    service, env = compose_service(process), compose_env(process)
    assert set(service.get("secrets") or []) == secrets, f"compose {process} secrets"
    for secret, variable in KEY_SECRETS.items():
        expected = f"/run/secrets/{secret}" if secret in secrets else None
        assert env.get(variable) == expected, f"compose {process} {variable}"
    assert not {"RENCAI_PII_KEY", "RENCAI_SIGNING_KEK", "RENCAI_FILES_LINK_SECRET",
                "RENCAI_SERVICE_KEY"} & set(env), \
        f"compose {process} must not carry a key in its environment"


def test_compose_secrets_are_files_outside_the_repository():
    raw = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    assert "RENCAI_PII_KEY:" not in raw and "cmVuY2Fp" not in raw, "a key in compose.yaml"
    assert "link-secret" not in raw, "a link secret in compose.yaml"
    for secret in KEY_SECRETS:
        path = COMPOSE["secrets"][secret]["file"]
        assert path == f"./secrets/{secret}"
    ignored = (ROOT / ".gitignore").read_text() + (ROOT / ".dockerignore").read_text()
    assert "secrets" in ignored and ".env" in ignored


@pytest.mark.parametrize("name", SERVICES)
def test_compose_services_connect_as_their_own_role(name):
    url = compose_env(name)["RENCAI_DATABASE_URL"]
    user = url.split("://", 1)[1].split(":", 1)[0]
    assert user == f"rencai_{name}", f"compose {name} connects as {user!r}"
    assert f"${{RENCAI_{name.upper()}_DB_PASSWORD:?" in url, "the password must be required"
    assert compose_env("init")["RENCAI_DATABASE_ADMIN_URL"].startswith(
        "postgresql+psycopg://rencai:"), "init provisions the roles as the administrator"


def test_gunicorn_shares_the_app_between_workers():
    """Every gunicorn (Procfile, compose, the stack tests) reads gunicorn.conf.py: the app is
    loaded once and forked (--preload), web workers are threaded (2 cores: see the file) and
    the bus worker is forked from the same app (services/common/worker.py)."""
    import gc
    from types import SimpleNamespace

    settings: dict = {"__file__": str(ROOT / "gunicorn.conf.py")}
    try:
        exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"),
             settings)
        assert settings["preload_app"] is True
        assert settings["worker_class"] == "services.common.worker.ServiceWorker"
        assert settings["threads"] == 4
        service = SimpleNamespace(app=SimpleNamespace(
            wsgi=lambda: SimpleNamespace(extensions={"rencai.kit": object()})), WORKERS={})
        worker = SimpleNamespace()
        settings["pre_fork"](service, worker)  # the preloaded objects stay shared after the fork
        assert gc.get_freeze_count() > 0
        assert worker.bus_slot is True
    finally:
        gc.unfreeze()
