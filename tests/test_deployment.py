"""docker-compose.yml stays valid and has exactly the deployment README describes."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def compose_command() -> list[str] | None:
    if shutil.which("docker"):
        plugin = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if plugin.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


@pytest.fixture
def compose(tmp_path: Path) -> list[str]:
    command = compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed: cannot validate docker-compose.yml")
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    return [*command, "--project-directory", str(tmp_path), "-f", str(tmp_path / "docker-compose.yml")]


def test_docker_compose_config_is_valid(compose: list[str]):
    result = subprocess.run([*compose, "config", "-q"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_compose_runs_exactly_postgres_redis_minio_web_worker_and_one_beat(compose: list[str]):
    result = subprocess.run([*compose, "config", "--services"], capture_output=True, text=True, check=True)
    assert sorted(result.stdout.split()) == ["beat", "minio", "minio-init", "postgres", "redis", "web", "worker"]


def test_compose_keeps_project_files_in_a_private_minio_bucket():
    """Read without docker: the app's processes point at MinIO, and the bucket is made private."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("web", "worker"):
        environment = services[name]["environment"]
        assert environment["RAPPORT_FILES_S3_BUCKET"] == "rapport-files"
        assert environment["RAPPORT_FILES_S3_ENDPOINT_URL"] == "http://minio:9000"
        assert "minio-init" in services[name]["depends_on"]
    script = services["minio-init"]["command"][0]
    assert "mc anonymous set none local/rapport-files" in script
    assert not re.search(r"anonymous set (public|download)", script)


def test_every_environment_variable_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    read_by_settings = set(re.findall(r'env\.\w+\("([A-Z_]+)"', (ROOT / "crm" / "settings.py").read_text()))
    in_env_example = {
        line.lstrip("# ").split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and line.lstrip("# ").split("=", 1)[0].isupper()
    }
    missing = sorted(name for name in read_by_settings | in_env_example | {"ANYMAIL_*"} if f"`{name}`" not in readme)
    assert not missing, f"README.md does not document: {missing}"
