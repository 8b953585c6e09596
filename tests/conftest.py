# Real storage servers (s3_server, moto_server, azure_server, gcs_server, http_server).
pytest_plugins = ["tests.conftest_servers"]

import pytest  # noqa: E402

from .stores import ALL, WRITABLE, make_store  # noqa: E402


def _store(request, tmp_path, monkeypatch):
    s = make_store(request.param, request, tmp_path)
    for k, v in s.env.items():
        monkeypatch.setenv(k, v)
    return s


@pytest.fixture(params=ALL)
def store(request, tmp_path, monkeypatch):
    """Every backend, readable: a fresh prefix per test, env set for dsctl."""
    return _store(request, tmp_path, monkeypatch)


@pytest.fixture(params=WRITABLE)
def wstore(request, tmp_path, monkeypatch):
    """Every writable backend."""
    return _store(request, tmp_path, monkeypatch)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """No credentials from the developer's machine leak into a test."""
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION",
              "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "S3_ENDPOINT_URL",
              "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT_NAME",
              "AZURE_STORAGE_ACCOUNT_KEY", "AZURE_STORAGE_SAS_TOKEN", "STORAGE_EMULATOR_HOST",
              "GOOGLE_APPLICATION_CREDENTIALS", "GCP_CREDENTIALS", "DSCTL_PROFILE", "DSCTL_DEBUG"):
        monkeypatch.delenv(k, raising=False)
