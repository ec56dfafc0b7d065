"""compose.yaml, checked by Docker Compose itself (`config`), and its agreement with the Dockerfile.

Uses the Compose plugin (`docker compose`) or the standalone v1 (`docker-compose`, which
`make setup` installs from Debian); skips when neither is installed. `config` validates and
interpolates the file without a Docker daemon.
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
REQUIRED_ENV = {"POSTGRES_PASSWORD": "test-pw", "DOCAGENT_API_KEYS": "acme:k1,globex:k2"}
SERVICES = {"redis", "postgres", "api", "worker-ingest", "worker-gpu", "vllm", "flower"}
DOCAGENT_SERVICES = ("api", "worker-ingest", "worker-gpu")
TIMEOUT_S = 60


@lru_cache(maxsize=1)
def _compose_command() -> tuple[str, ...] | None:
    for cmd in (("docker", "compose"), ("docker-compose",)):
        try:
            done = subprocess.run([*cmd, "version"], capture_output=True, timeout=TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return cmd
    return None


@pytest.fixture
def compose() -> tuple[str, ...]:
    cmd = _compose_command()
    if cmd is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed "
                    "(scripts/setup_system.sh installs Debian's docker-compose)")
    return cmd


def _config(compose: tuple[str, ...], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    """`compose config` over compose.yaml with exactly ``env`` as the variables it may read:
    the caller's DOCAGENT_*/POSTGRES_*/COMPOSE_* variables are dropped and an empty env file
    stands in for a `.env` that a developer may have."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DOCAGENT_", "POSTGRES_", "COMPOSE_", "VLLM_", "FLOWER_"))
            and k not in {"TORCH_SPEC", "HF_TOKEN"}}
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    return subprocess.run(
        [*compose, "-f", str(COMPOSE_FILE), "--env-file", str(env_file), "--profile", "vllm", "config"],
        capture_output=True, text=True, timeout=TIMEOUT_S, env={**base, **env}, cwd=tmp_path,
    )


def _command(service: dict) -> str:
    """A service's command as one string (v1 keeps the string, v2 prints a list)."""
    cmd = service.get("command", "")
    return " ".join(cmd) if isinstance(cmd, list) else cmd


def _mounts(service: dict) -> dict[str, str]:
    """target -> source of a service's volumes, in v1's short or v2's long form."""
    out = {}
    for vol in service.get("volumes", []):
        if isinstance(vol, str):
            source, target = vol.split(":")[:2]
        else:
            source, target = vol.get("source"), vol["target"]
        out[target] = source
    return out


def test_compose_config_is_valid_and_complete(compose, tmp_path):
    yaml = pytest.importorskip("yaml")
    done = _config(compose, REQUIRED_ENV, tmp_path)
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    assert SERVICES <= set(services), f"missing services: {SERVICES - set(services)}"

    envs = {name: services[name]["environment"] for name in DOCAGENT_SERVICES}
    pw = REQUIRED_ENV["POSTGRES_PASSWORD"]
    db_url = f"postgresql+psycopg://docagent:{pw}@postgres:5432/docagent"
    for name, env in envs.items():
        assert env["DOCAGENT_DATABASE_URL"] == db_url, name
        assert env["DOCAGENT_BROKER_URL"] == "redis://redis:6379/0", name
        assert env["DOCAGENT_HOME"] == "/data", name
        assert env["DOCAGENT_API_KEYS"] == REQUIRED_ENV["DOCAGENT_API_KEYS"], name
        assert _mounts(services[name])["/data"] == "docagent-data", name  # shared storage
        for dep in ("redis", "postgres"):
            assert services[name]["depends_on"][dep]["condition"] == "service_healthy", name
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == pw

    gpu = services["worker-gpu"]
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert any(d.get("driver") == "nvidia" and "gpu" in d.get("capabilities", []) for d in devices)
    assert gpu["build"]["args"]["EXTRAS"] == "gpu"
    assert services["api"]["build"]["args"]["EXTRAS"] in ("", None)
    assert gpu["environment"]["DOCAGENT_VLM_BACKEND"] == "transformers"
    model = gpu["environment"]["DOCAGENT_VLM_MODEL"]
    assert model == "NCSOFT/VARCO-VISION-14B-HF"
    assert "--queues vlm" in _command(gpu) and "--pool threads" in _command(gpu)
    assert _mounts(gpu)["/hf-cache"] == "hf-cache"

    vllm = services["vllm"]
    assert vllm["profiles"] == ["vllm"]
    assert f"--model {model}" in _command(vllm)  # the name the openai backend asks for
    assert vllm["deploy"]["resources"]["reservations"]["devices"]
    assert _mounts(vllm)["/hf-cache"] == "hf-cache"

    assert "--no-worker" in _command(services["api"])
    assert "--queues ingest" in _command(services["worker-ingest"])
    assert "http://localhost:8000/healthz" in " ".join(services["api"]["healthcheck"]["test"])
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert _mounts(services["postgres"])["/var/lib/postgresql/data"] == "pgdata"


@pytest.mark.parametrize("missing", sorted(REQUIRED_ENV))
def test_compose_config_fails_without_required_variable(compose, tmp_path, missing):
    env = {k: v for k, v in REQUIRED_ENV.items() if k != missing}
    done = _config(compose, env, tmp_path)
    assert done.returncode != 0
    assert f"set {missing}" in done.stdout + done.stderr  # the ${VAR:?set VAR...} message


def test_dockerfile_matches_compose_and_packages():
    """Every build arg compose.yaml passes is declared in the Dockerfile, and every package
    pyproject.toml ships is copied into the image."""
    dockerfile = DOCKERFILE.read_text()
    declared = set(re.findall(r"^ARG\s+(\w+)", dockerfile, flags=re.M))
    passed = set(re.findall(r"^\s+(EXTRAS|TORCH_SPEC):", COMPOSE_FILE.read_text(), flags=re.M))
    assert passed and passed <= declared
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    for pattern in include:
        package = pattern.rstrip("*")
        assert re.search(rf"^COPY\s+{package}\s", dockerfile, flags=re.M), package
    assert re.search(r"^USER\s+(?!root)\w+", dockerfile, flags=re.M)
    assert re.search(r"^ENTRYPOINT\s+\[\]", dockerfile, flags=re.M)
