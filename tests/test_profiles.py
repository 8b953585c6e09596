"""Profiles against real servers and a real Secret Service keyring."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import time
import uuid

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest
from keyring.backends import SecretService

from .cli import REPO, run, run_proc
from .stores import service_account


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    d = tmp_path / "cfg"
    monkeypatch.setenv("DSCTL_CONFIG_DIR", str(d))
    return d


@pytest.fixture
def real_keyring(secret_service, monkeypatch, cfg):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", secret_service.bus_address)
    old = keyring.get_keyring()
    keyring.set_keyring(SecretService.Keyring())
    yield keyring.get_keyring()
    keyring.set_keyring(old)


@pytest.fixture(params=["fail", "null"])
def no_keyring(request, cfg):
    old = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring() if request.param == "fail"
                        else keyring.backends.null.Keyring())
    yield
    keyring.set_keyring(old)


@pytest.fixture
def bucket(s3_server):
    import fsspec

    fs = fsspec.filesystem("s3", key=s3_server.admin_key, secret=s3_server.admin_secret,
                           endpoint_url=s3_server.endpoint_url, skip_instance_cache=True)
    name = "prof-" + uuid.uuid4().hex[:8]
    fs.mkdir(name)
    return name


def _add_s3(name, srv, bucket, key, secret, *extra):
    r = run("profile", "add", name, "--type", "s3", "--endpoint-url", srv.endpoint_url, "--allow-http",
            "--bucket", bucket, *extra, input=f"{key}\n{secret}\n".encode())
    assert r.code == 0, r
    return r


def _all_files_text(d) -> str:
    out = []
    for root, _, files in os.walk(d):
        for f in files:
            out.append(open(os.path.join(root, f), errors="replace").read())
    return "\n".join(out)


# -- S3 against SeaweedFS -------------------------------------------------------------

def test_s3_profile_reads_and_writes_with_keyring_secrets(real_keyring, s3_server, bucket, tmp_path, cfg):
    _add_s3("sw", s3_server, bucket, s3_server.admin_key, s3_server.admin_secret)
    assert real_keyring.get_password("dsctl:sw", "secret_access_key") == s3_server.admin_secret
    text = (cfg / "profiles.yaml").read_text()
    assert s3_server.admin_secret not in text and "secret_access_key" in text
    assert stat.S_IMODE(os.stat(cfg).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(cfg / "profiles.yaml").st_mode) == 0o600
    (tmp_path / "f.txt").write_bytes(b"via profile")
    r = run("cp", tmp_path / "f.txt", "ds://sw/dir/f.txt")
    assert r.code == 0, r
    assert "-> ds://sw/dir/g.txt" in run("-v", "cp", tmp_path / "f.txt", "ds://sw/dir/g.txt").err
    r = run("cat", "ds://sw/dir/f.txt")
    assert r.code == 0 and r.out == b"via profile", r
    r = run("ls", "ds://sw/dir/")
    assert r.lines == ["f.txt", "g.txt"], r
    r = run("--profile", "sw", "cat", f"s3://{bucket}/dir/f.txt")
    assert r.code == 0 and r.out == b"via profile", r


def test_read_only_identity_profile_is_denied_writes(real_keyring, s3_server, bucket, tmp_path):
    _add_s3("rw", s3_server, bucket, s3_server.admin_key, s3_server.admin_secret)
    _add_s3("ro", s3_server, bucket, s3_server.reader_key, s3_server.reader_secret)
    (tmp_path / "f").write_bytes(b"x")
    assert run("cp", tmp_path / "f", "ds://rw/f").code == 0
    r = run("cat", "ds://ro/f")
    assert r.code == 0 and r.out == b"x", r
    r = run("cp", tmp_path / "f", "ds://ro/g")
    assert r.code == 4, r
    r = run("profile", "test", "ro")
    assert r.code == 0 and "keyring" in r.text, r


def test_aws_endpoint_url_does_not_redirect_a_keyring_profile(real_keyring, monkeypatch):
    """A profile without an endpoint talks to AWS. botocore itself reads AWS_ENDPOINT_URL,
    so a LocalStack endpoint left in the shell received the profile's signed requests and
    data (SPEC section 4: generic variables never override a named profile)."""
    import socket
    import threading

    trap = socket.socket()
    trap.bind(("127.0.0.1", 0))
    trap.listen(8)
    trap.settimeout(0.2)
    seen: list[bytes] = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = trap.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    seen.append(conn.recv(4096))
                except OSError:
                    pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))   # bound, never listening: the way to AWS fails at once
    try:
        r = run("profile", "add", "aws1", "--type", "s3", "--bucket", "some-bucket",
                input=b"AKIDEXAMPLE\nSECRETEXAMPLEKEY\n")
        assert r.code == 0, r
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{trap.getsockname()[1]}")
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{closed.getsockname()[1]}")
        monkeypatch.setenv("DSCTL_FAST", "0")   # botocore's own path, where the variable is read
        r = run("ls", "ds://aws1/")
        assert r.code == 5, r
        assert seen == [], seen
    finally:
        stop.set()
        t.join()
        trap.close()
        closed.close()


def test_a_profile_root_from_the_environment_is_the_one_used_and_cannot_be_left(cfg, tmp_path, monkeypatch):
    """`profile show` said DSCTL_PROFILE_<NAME>_ROOT was in effect while ds:// kept the
    stored root; `ds://p/../x` read and wrote outside the root (SPEC: the path is joined
    onto the root); an unknown DSCTL_PROFILE_<NAME>_AUTH was ignored."""
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "f").write_bytes(d.encode())
    assert run("profile", "add", "loc", "--type", "file", "--root", tmp_path / "a",
               "--auth", "anonymous").code == 0
    assert run("cat", "ds://loc/f").out == b"a"
    monkeypatch.setenv("DSCTL_PROFILE_LOC_ROOT", str(tmp_path / "b"))
    r = run("cat", "ds://loc/f")
    assert r.code == 0 and r.out == b"b", r
    monkeypatch.delenv("DSCTL_PROFILE_LOC_ROOT")
    r = run("cat", "ds://loc/../b/f")
    assert r.code == 2 and r.out == b"", r
    (tmp_path / "x").write_bytes(b"x")
    r = run("cp", tmp_path / "x", "ds://loc/../escaped")
    assert r.code == 2 and not (tmp_path / "escaped").exists(), r
    monkeypatch.setenv("DSCTL_PROFILE_LOC_AUTH", "bogus")
    r = run("ls", "ds://loc/")
    assert r.code == 2 and "unknown auth mode" in r.err, r


def test_wrong_secret_is_4_and_profile_test_says_so(real_keyring, s3_server, bucket):
    _add_s3("bad", s3_server, bucket, s3_server.admin_key, "not-the-secret-123")
    r = run("ls", "ds://bad/")
    assert r.code == 4, r
    r = run("profile", "test", "bad")
    assert r.code == 4 and "not-the-secret-123" not in r.err + r.text, r


def test_precedence_env_override_and_generic_aws_vars(real_keyring, s3_server, bucket, tmp_path, monkeypatch):
    _add_s3("p", s3_server, bucket, s3_server.admin_key, s3_server.admin_secret)
    (tmp_path / "f").write_bytes(b"x")
    # Generic AWS_* variables never override a named profile's stored secrets.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "WRONG")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "WRONG-SECRET")
    assert run("cp", tmp_path / "f", "ds://p/f").code == 0
    # DSCTL_PROFILE_<NAME>_<FIELD> does override the keyring.
    monkeypatch.setenv("DSCTL_PROFILE_P_SECRET_ACCESS_KEY", "override-wrong")
    r = run("cat", "ds://p/f")
    assert r.code == 4, r
    r = run("profile", "show", "p")
    assert "env DSCTL_PROFILE_P_SECRET_ACCESS_KEY" in r.text and "override-wrong" not in r.text, r


def test_default_profile_applies_to_bare_urls_of_its_type(real_keyring, s3_server, bucket, tmp_path):
    _add_s3("d", s3_server, bucket, s3_server.admin_key, s3_server.admin_secret)
    assert run("profile", "default", "d").code == 0
    (tmp_path / "f").write_bytes(b"bare")
    r = run("cp", tmp_path / "f", f"s3://{bucket}/bare")
    assert r.code == 0, r
    assert run("cat", f"s3://{bucket}/bare").out == b"bare"
    assert "d *" in run("profile", "list").text


def test_cross_account_copy_between_profiles(real_keyring, s3_server, bucket, azure_server, tmp_path):
    from azure.storage.blob import BlobServiceClient

    container = "prof-" + uuid.uuid4().hex[:8]
    BlobServiceClient.from_connection_string(azure_server.connection_string).create_container(container)
    _add_s3("src", s3_server, bucket, s3_server.admin_key, s3_server.admin_secret)
    r = run("profile", "add", "dst", "--type", "azure", "--container", container,
            "--secret", "connection_string", input=(azure_server.connection_string + "\n").encode())
    assert r.code == 0, r
    data = os.urandom(3 * 1024 * 1024)
    (tmp_path / "d.bin").write_bytes(data)
    assert run("cp", tmp_path / "d.bin", "ds://src/x/d.bin").code == 0
    r = run("cp", "-r", "ds://src/x/", "ds://dst/y/")
    assert r.code == 0, r
    assert run("cat", "ds://dst/y/d.bin").out == data


# -- Azure against Azurite: connection string, account key, SAS -------------------

@pytest.fixture
def container(azure_server):
    from azure.storage.blob import BlobServiceClient

    name = "prof-" + uuid.uuid4().hex[:8]
    BlobServiceClient.from_connection_string(azure_server.connection_string).create_container(name)
    return name


def _roundtrip(url_base, tmp_path):
    (tmp_path / "a.txt").write_bytes(b"azure bytes")
    r = run("cp", tmp_path / "a.txt", f"{url_base}/a.txt")
    assert r.code == 0, r
    r = run("cat", f"{url_base}/a.txt")
    assert r.code == 0 and r.out == b"azure bytes", r


def test_azure_profile_by_account_key(real_keyring, azure_server, container, tmp_path):
    r = run("profile", "add", "ak", "--type", "azure", "--account-name", azure_server.account_name,
            "--endpoint-url", azure_server.blob_endpoint, "--container", container,
            input=(azure_server.account_key + "\n").encode())
    assert r.code == 0, r
    _roundtrip("ds://ak", tmp_path)


def test_azure_profile_by_connection_string(real_keyring, azure_server, container, tmp_path):
    r = run("profile", "add", "cs", "--type", "azure", "--container", container,
            input=(azure_server.connection_string + "\n").encode())
    assert r.code == 0, r
    _roundtrip("ds://cs", tmp_path)


def test_azure_profile_by_sas(real_keyring, azure_server, container, tmp_path):
    import datetime as dt

    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    sas = generate_account_sas(azure_server.account_name, azure_server.account_key,
                               resource_types=ResourceTypes(service=True, container=True, object=True),
                               permission=AccountSasPermissions(read=True, write=True, list=True,
                                                                delete=True, create=True, add=True),
                               expiry=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    r = run("profile", "add", "sas", "--type", "azure", "--account-name", azure_server.account_name,
            "--endpoint-url", azure_server.blob_endpoint, "--container", container,
            "--secret", "sas_token", input=(sas + "\n").encode())
    assert r.code == 0, r
    _roundtrip("ds://sas", tmp_path)
    r = run("--debug", "ls", "ds://sas/nonexistent-prefix/")
    assert sas.split("sig=")[-1][:20] not in r.err + r.text


def test_azure_wrong_key_is_4(real_keyring, azure_server, container):
    bad = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=" * 2
    r = run("profile", "add", "bad", "--type", "azure", "--account-name", azure_server.account_name,
            "--endpoint-url", azure_server.blob_endpoint, "--container", container,
            input=(bad + "\n").encode())
    assert r.code == 0, r
    r = run("ls", "ds://bad/")
    assert r.code == 4 and bad not in r.err, r


# -- GCS against fake-gcs-server, HTTP against nginx ----------------------------------

def test_gcs_profile_against_emulator(cfg, gcs_server, tmp_path):
    import fsspec

    fs = fsspec.filesystem("gcs", endpoint_url=gcs_server.endpoint_url, token="anon", project="t",
                           skip_instance_cache=True)
    name = "prof-" + uuid.uuid4().hex[:8]
    fs.mkdir(name)
    r = run("profile", "add", "g", "--type", "gcs", "--endpoint-url", gcs_server.endpoint_url,
            "--auth", "anonymous", "--bucket", name, "--project", "t")
    assert r.code == 0, r
    _roundtrip("ds://g", tmp_path)


def test_http_profile_basic_auth(real_keyring, http_server, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(http_server.ca_file))
    (http_server.root / "private" / "secret.txt").write_bytes(b"members only")
    r = run("cat", f"{http_server.http_url}/private/secret.txt")
    assert r.code == 4, r
    r = run("profile", "add", "web", "--type", "http", "--root", f"{http_server.https_url}/private",
            "--username", http_server.user, input=(http_server.password + "\n").encode())
    assert r.code == 0, r
    r = run("cat", "ds://web/secret.txt")
    assert r.code == 0 and r.out == b"members only", r


# -- command auth: credentials that expire mid-run are refreshed ----------------------

def test_command_auth_refreshes_expiring_credentials(cfg, s3_server, bucket, tmp_path):
    counter = tmp_path / "calls"
    helper = tmp_path / "creds.py"
    helper.write_text(textwrap.dedent(f"""
        import datetime, json
        with open({str(counter)!r}, "a") as f:
            f.write("x")
        exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)
        print(json.dumps({{"Version": 1, "AccessKeyId": {s3_server.admin_key!r},
                          "SecretAccessKey": {s3_server.admin_secret!r},
                          "Expiration": exp.isoformat()}}))
    """))
    r = run("profile", "add", "cmd", "--type", "s3", "--endpoint-url", s3_server.endpoint_url,
            "--allow-http", "--bucket", bucket, "--auth", "command", "--command", f"{sys.executable} {helper}")
    assert r.code == 0, r
    # A slow producer on stdin keeps the multipart upload going well past the 2 s expiry.
    env = {**os.environ, "DSCTL_CONFIG_DIR": str(cfg)}
    p = subprocess.Popen([sys.executable, "-m", "dsctl", "cp", "-", "ds://cmd/slow.bin"], cwd=REPO,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    chunk = os.urandom(1024 * 1024)
    for _ in range(20):
        p.stdin.write(chunk)
        p.stdin.flush()
        time.sleep(0.25)
    out, err = p.communicate(timeout=60)  # closes stdin: end of the stream
    assert p.returncode == 0, err.decode()
    assert len(counter.read_text()) >= 2, "credentials were never refreshed"
    r = run("cat", "ds://cmd/slow.bin")
    assert r.code == 0 and r.out == chunk * 20


# -- keyring refusal paths, listing without unlocking, removal ------------------------

def test_no_keyring_refuses_and_names_the_ways_out(no_keyring, cfg):
    r = run("profile", "add", "x", "--type", "s3", "--bucket", "b", input=b"AK\nSK\n")
    assert r.code == 2, r
    assert "--auth env" in r.err and "--insecure-storage" in r.err
    assert not (cfg / "profiles.yaml").exists()
    r = run("profile", "add", "x", "--type", "s3", "--bucket", "b", "--auth", "env")
    assert r.code == 0, r


def test_insecure_storage_is_a_0600_file_with_a_warning(no_keyring, cfg):
    r = run("profile", "add", "x", "--type", "s3", "--bucket", "b", "--insecure-storage",
            input=b"AKID\nTOPSECRETVALUE\n")
    assert r.code == 0, r
    assert "warning" in r.err and "plaintext" in r.err
    f = cfg / "secrets.yaml"
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o600 and "TOPSECRETVALUE" in f.read_text()
    assert "TOPSECRETVALUE" not in (cfg / "profiles.yaml").read_text()
    assert run("profile", "show", "x").text.count("****ALUE") == 1


class _Exploding(keyring.backend.KeyringBackend):
    priority = 1

    def get_password(self, *a):
        raise AssertionError("the keyring was read")

    set_password = delete_password = get_password


def test_list_does_not_touch_the_keyring(real_keyring, s3_server, bucket):
    _add_s3("a", s3_server, bucket, "AK", "SK1234567")
    run("profile", "add", "e", "--type", "s3", "--auth", "env", "--bucket", bucket)
    run("profile", "add", "n", "--type", "azure", "--auth", "anonymous", "--account-name", "acct")
    keyring.set_keyring(_Exploding())
    r = run("profile", "list")
    assert r.code == 0, r
    rows = {line.split()[0]: line.split() for line in r.lines[1:]}
    assert rows["a"][-1] == "stored" and rows["e"][-1] == "env" and rows["n"][-1] == "n-a"
    r = run("--json", "profile", "list")
    assert [json.loads(line)["name"] for line in r.lines] == ["a", "e", "n"]


def test_show_masks_and_remove_deletes_keyring_entries(real_keyring, s3_server, bucket):
    _add_s3("m", s3_server, bucket, "AKIAEXAMPLE", "verysecretvalueWXYZ")
    r = run("profile", "show", "m")
    assert r.code == 0 and "****WXYZ" in r.text and "verysecretvalue" not in r.text, r
    assert "keyring" in r.text and "profiles.yaml" in r.text
    assert run("profile", "remove", "m").code == 0
    assert real_keyring.get_password("dsctl:m", "secret_access_key") is None
    assert run("profile", "show", "m").code == 3
    assert run("ls", "ds://m/").code == 3


def test_secrets_are_never_argument_values(cfg):
    r = run("profile", "add", "x", "--type", "s3", "-o", "secret_access_key=abc")
    assert r.code == 2 and "never taken as an argument" in r.err, r


def test_secret_names_a_secret_field_and_never_carries_a_value(real_keyring, cfg):
    """A misspelt `--secret secret_acess_key` was kept as an ordinary field that `profile
    show` printed in clear; `--secret secret_access_key=VALUE` wrote VALUE into
    profiles.yaml. Both are usage errors that do not repeat what was given."""
    r = run("profile", "add", "t", "--type", "s3", "--secret", "access_key_id",
            "--secret", "secret_acess_key", input=b"AKIDEXAMPLE\nWRONGLYNAMEDSECRET\n")
    assert r.code == 2 and "secret_access_key" in r.err and "secret_acess_key" not in r.err, r
    r = run("profile", "add", "t", "--type", "s3", "--secret", "secret_access_key=TOPSECRETVALUE",
            input=b"x\n")
    assert r.code == 2 and "TOPSECRETVALUE" not in r.err, r
    assert not (cfg / "profiles.yaml").exists() or "TOPSECRET" not in (cfg / "profiles.yaml").read_text()
    assert run("profile", "show", "t").code == 3


def test_subprocess_ci_flow_with_real_keyring(secret_service, s3_server, bucket, tmp_path):
    """What a CI job does: pipe secrets into `profile add`, then use ds:// in another process."""
    env = {"DSCTL_CONFIG_DIR": str(tmp_path / "ci-cfg"), **secret_service.env}
    p = subprocess.run([sys.executable, "-m", "dsctl", "profile", "add", "ci", "--type", "s3",
                        "--endpoint-url", s3_server.endpoint_url, "--allow-http", "--bucket", bucket],
                       input=f"{s3_server.admin_key}\n{s3_server.admin_secret}\n".encode(),
                       capture_output=True, env={**os.environ, **env}, cwd=REPO, timeout=60)
    assert p.returncode == 0, p.stderr
    (tmp_path / "f").write_bytes(b"ci")
    r = run_proc("cp", tmp_path / "f", "ds://ci/ci.txt", env=env)
    assert r.code == 0, r
    r = run_proc("cat", "ds://ci/ci.txt", env=env)
    assert r.out == b"ci", r


def test_profile_names_complete(cfg, tmp_path):
    run("profile", "add", "alpha", "--type", "s3", "--auth", "env", "--bucket", "b")
    run("profile", "add", "beta", "--type", "s3", "--auth", "env", "--bucket", "b")
    def complete(words, cword):
        env = {**os.environ, "_DSCTL_COMPLETE": "bash_complete", "COMP_WORDS": words,
               "COMP_CWORD": str(cword), "DSCTL_CONFIG_DIR": str(cfg)}
        p = subprocess.run([sys.executable, "-m", "dsctl"], env=env, capture_output=True, text=True,
                           cwd=REPO, timeout=30)
        return p.stdout
    assert "alpha" in complete("dsctl profile show ", 3) and "beta" in complete("dsctl profile show ", 3)
    assert "alpha" in complete("dsctl --profile a", 2)
    assert "ds://beta/" in complete("dsctl ls ds://b", 2)


# -- option building for what the emulators cannot check ------------------------------

def test_option_building_for_unverifiable_auth_modes(cfg, monkeypatch):
    from dsctl.storage import options

    from dsctl.profiles import store
    sa = json.dumps(service_account("https://oauth2.googleapis.com/token", client_email="x@y"))
    cases = [
        (store.Profile("r2", "s3", "anonymous", {"provider": "r2", "account_id": "abc123"}),
         lambda o: o["endpoint_url"] == "https://abc123.r2.cloudflarestorage.com" and o["anon"] is True),
        (store.Profile("ap", "s3", "aws_profile", {"aws_profile": "dev"}), lambda o: o["profile"] == "dev"),
        (store.Profile("ch", "gcs", "chain", {}), lambda o: o["token"] == "google_default"),
        (store.Profile("an", "gcs", "anonymous", {}), lambda o: o["token"] == "anon"),
        (store.Profile("sp", "azure", "chain", {"account_name": "acct"}),
         lambda o: o == {"account_name": "acct", "anon": False}),
    ]
    for prof, check in cases:
        opts = options.build({"s3": "s3", "gcs": "gcs", "azure": "azure"}[prof.type], prof)
        assert check(opts), (prof.name, opts)
    monkeypatch.setenv("DSCTL_PROFILE_SAJ_SERVICE_ACCOUNT_JSON", sa)
    opts = options.build("gcs", store.Profile("saj", "gcs", "keyring", {}))
    assert opts["token"]["client_email"] == "x@y"
    monkeypatch.setenv("DSCTL_PROFILE_SPN_CLIENT_SECRET", "cs")
    opts = options.build("azure", store.Profile("spn", "azure", "keyring",
                                                {"account_name": "a", "tenant_id": "t", "client_id": "c"}))
    assert opts == {"account_name": "a", "tenant_id": "t", "client_id": "c", "client_secret": "cs"}
    monkeypatch.setenv("DSCTL_PROFILE_TOK_BEARER_TOKEN", "tok123")
    opts = options.build("http", store.Profile("tok", "http", "keyring", {"headers": ["X-A: 1"]}))
    assert opts["headers"] == {"X-A": "1", "Authorization": "Bearer tok123"}


def test_role_arn_assumes_the_role_via_sts(cfg, moto_server, monkeypatch):
    """moto's server implements STS AssumeRole; the S3 calls then use the temporary keys."""
    _moto_bucket(moto_server, "rolebucket")
    monkeypatch.setenv("DSCTL_PROFILE_ROLE_ACCESS_KEY_ID", "AKIDBASE")
    monkeypatch.setenv("DSCTL_PROFILE_ROLE_SECRET_ACCESS_KEY", "base-secret")
    r = run("profile", "add", "role", "--type", "s3", "--endpoint-url", moto_server.endpoint_url,
            "--allow-http", "--bucket", "rolebucket", "--role-arn", "arn:aws:iam::123456789012:role/dsctl-test",
            "--insecure-storage", "--from-env")
    assert r.code == 0, r
    _assert_written_as_the_role("ds://role/x.txt")


def _moto_bucket(moto_server, name: str) -> None:
    import boto3

    boto3.client("s3", endpoint_url=moto_server.endpoint_url, aws_access_key_id="a",
                 aws_secret_access_key="b", region_name="us-east-1").create_bucket(Bucket=name)


def _assert_written_as_the_role(url: str) -> None:
    """cp to `url` works, and the store's session holds STS temporary keys."""
    from fsspec.asyn import sync

    from dsctl.storage import resolve

    r = run("cp", "-", url, input=b"assumed")
    assert r.code == 0, r
    ep = resolve(url)
    assert ep.fs.cat_file(ep.path) == b"assumed"
    creds = sync(ep.fs.loop, ep.fs.session._credentials.get_frozen_credentials)
    assert creds.access_key.startswith("ASIA") and creds.token  # STS temporary keys


def test_aws_role_arn_is_assumed_without_a_profile(cfg, moto_server, monkeypatch):
    """SPEC section 4 lists AWS_ROLE_ARN among the standard variables; it was ignored
    (the static keys were used as they were)."""
    _moto_bucket(moto_server, "envrole")
    for k, v in {"AWS_ACCESS_KEY_ID": "AKIDBASE", "AWS_SECRET_ACCESS_KEY": "base-secret",
                 "AWS_ENDPOINT_URL": moto_server.endpoint_url, "AWS_DEFAULT_REGION": "us-east-1",
                 "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/dsctl-env"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_WEB_IDENTITY_TOKEN_FILE", raising=False)
    _assert_written_as_the_role("s3://envrole/x.txt")


def test_secret_never_leaks_with_debug_and_failing_credentials(real_keyring, s3_server, bucket, tmp_path, cfg):
    """Every command, --debug, a wrong stored secret: the secret is nowhere in output or config."""
    secret = "LeakCanary-" + uuid.uuid4().hex
    _add_s3("leak", s3_server, bucket, s3_server.admin_key, secret)
    (tmp_path / "f").write_bytes(b"x")
    (tmp_path / "d").mkdir()
    commands = [("ls", "ds://leak/"), ("ls", "-r", "-l", "ds://leak/"), ("cat", "ds://leak/f"),
                ("stat", "ds://leak/f"), ("cp", tmp_path / "f", "ds://leak/f"),
                ("cp", "-r", "ds://leak/", tmp_path / "o/"), ("upload", tmp_path / "f", "ds://leak/u/"),
                ("download", "ds://leak/u", tmp_path / "d"), ("rm", "ds://leak/f"),
                ("profile", "show", "leak"), ("profile", "list"), ("profile", "test", "leak"),
                ("--json", "cp", tmp_path / "f", "ds://leak/j")]
    for args in commands:
        for runner in (run, run_proc):
            r = runner("--debug", *args) if runner is run else runner("--debug", *args, env={
                "DSCTL_CONFIG_DIR": str(cfg), **real_keyring_env()})
            assert secret not in r.err and secret not in r.text, (args, r)
            assert r.code != 0 or args[0] == "profile", (args, r)
    assert secret not in _all_files_text(cfg)


def real_keyring_env() -> dict:
    return {"DBUS_SESSION_BUS_ADDRESS": os.environ["DBUS_SESSION_BUS_ADDRESS"]}


def test_a_keyring_that_is_gone_is_access_denied_in_one_line(real_keyring, s3_server, bucket):
    """A profile whose secrets are in the keyring, used where no keyring answers (no
    D-Bus session in cron): keyring's "No recommended backend was available. Install
    ..." came out as exit 1."""
    _add_s3("kr", s3_server, bucket, s3_server.admin_key, s3_server.admin_secret)
    keyring.set_keyring(keyring.backends.fail.Keyring())
    r = run("ls", "ds://kr/")
    assert r.code == 4 and "cannot read the secrets of profile 'kr'" in r.err, r
    assert r.err.count("\n") == 1, r
    # DSCTL_PROFILE_KR_* overrides every secret (SPEC 4: above profile + keyring): the
    # keyring is not needed, so cron and CI can use the profile (it failed with exit 4)
    env = {"DSCTL_PROFILE_KR_ACCESS_KEY_ID": s3_server.admin_key,
           "DSCTL_PROFILE_KR_SECRET_ACCESS_KEY": s3_server.admin_secret}
    r = run("ls", "ds://kr/", env=env)
    assert r.code == 0, r
    # removing or replacing it would orphan its secrets in the keyring: refused, unchanged
    # (it was removed, exit 1 with keyring's advice, the secrets left behind)
    for args in (["profile", "remove", "kr"],
                 ["profile", "add", "kr", "--type", "s3", "--auth", "env", "--bucket", bucket]):
        r = run(*args)
        assert r.code == 4 and "cannot delete the secrets of profile 'kr'" in r.err, (args, r)
        assert r.err.count("\n") == 1, r
    r = run("profile", "show", "kr", env=env)
    assert r.code == 0 and "auth" in r.text and "keyring" in r.text, r


def test_azure_without_any_credentials_is_access_denied(monkeypatch):
    for var in [v for v in os.environ if v.startswith("AZURE_")]:
        monkeypatch.delenv(var)
    r = run("ls", "az://some-container/")
    assert r.code == 4 and "no Azure credentials" in r.err, r   # was exit 1, adlfs's words


def test_plain_http_endpoint_needs_allow_http(real_keyring, s3_server, bucket):
    r = run("profile", "add", "plain", "--type", "s3", "--endpoint-url", s3_server.endpoint_url,
            "--bucket", bucket, input=f"{s3_server.admin_key}\n{s3_server.admin_secret}\n".encode())
    assert r.code == 0, r
    r = run("ls", "ds://plain/")
    assert r.code == 2 and "--allow-http" in r.err, r


def test_gcs_and_azure_command_credentials_refresh(cfg, tmp_path):
    """Option level: GCS and Azure token helpers are re-run when the token expires."""
    import asyncio

    from dsctl.profiles import refresh

    counter = tmp_path / "n"
    helper = tmp_path / "tok.py"
    helper.write_text(textwrap.dedent(f"""
        import datetime, json
        with open({str(counter)!r}, "a") as f:
            f.write("x")
        n = len(open({str(counter)!r}).read())
        exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=-1 if n == 1 else 3600)
        print(json.dumps({{"token": f"tok{{n}}", "expiry": exp.isoformat()}}))
    """))
    creds = refresh.gcs_credentials(f"{sys.executable} {helper}")
    assert creds.token == "tok1" and not creds.valid  # already expired
    creds.refresh(None)
    assert creds.token == "tok2" and creds.valid
    tok = asyncio.run(refresh.AzureCommandCredential(f"{sys.executable} {helper}").get_token("scope"))
    assert tok.token == "tok3" and tok.expires_on > time.time() + 3000


def test_locked_keyring_without_a_terminal_refuses(cfg, tmp_path, monkeypatch):
    """A keyring that would need an unlock prompt, with no terminal: refuse, don't hang."""
    import secretstorage

    from .servers.keyring import start_secret_service

    own = start_secret_service(tmp_path / "locked-keyring")
    old = keyring.get_keyring()
    try:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", own.bus_address)
        keyring.set_keyring(SecretService.Keyring())
        secretstorage.get_default_collection(secretstorage.dbus_init()).lock()
        r = run("profile", "add", "x", "--type", "s3", "--bucket", "b", input=b"AK\nSK\n")
        assert r.code == 2 and "locked" in r.err and "--insecure-storage" in r.err, r
        assert not (cfg / "profiles.yaml").exists()
    finally:
        keyring.set_keyring(old)
        own.stop()


# -- damaged config files: one line naming the file, exit 2, nothing of a secret -------

def test_damaged_profiles_and_config_yaml_name_the_file_and_line(cfg):
    assert run("profile", "add", "x", "--type", "s3", "--auth", "env", "--bucket", "b").code == 0
    good = (cfg / "profiles.yaml").read_text()
    n = len(good.splitlines())
    with open(cfg / "profiles.yaml", "a") as f:
        f.write("  bad: [unclosed\n")
    want = (f"dsctl: error: cannot read {cfg / 'profiles.yaml'}: expected ',' or ']', "
            f"but got '<stream end>' at line {n + 2}, column 1\n")
    for args in (("profile", "list"), ("profile", "show", "x"), ("ls", "ds://x/p/")):
        r = run(*args)
        assert (r.code, r.err, r.out) == (2, want, b""), (args, r)
    (cfg / "profiles.yaml").write_text(good)
    (cfg / "config.yaml").write_text("default_profile: x\njobs: [8\n")
    r = run("profile", "list")
    assert (r.code, r.err) == (2, f"dsctl: error: cannot read {cfg / 'config.yaml'}: expected ',' or ']', "
                                  f"but got '<stream end>' at line 3, column 1\n"), r
    (cfg / "config.yaml").write_text("- default_profile\n")
    r = run("profile", "list")
    assert (r.code, r.err) == (2, f"dsctl: error: cannot read {cfg / 'config.yaml'}: "
                                  f"it must hold a mapping, not a list\n"), r


def test_damaged_secrets_yaml_never_shows_the_secret(no_keyring, cfg, s3_server, bucket):
    secret = s3_server.admin_secret
    r = run("profile", "add", "ins", "--type", "s3", "--endpoint-url", s3_server.endpoint_url,
            "--allow-http", "--bucket", bucket, "--insecure-storage",
            input=f"{s3_server.admin_key}\n{secret}\n".encode())
    assert r.code == 0, r
    assert run("cp", "-", "ds://ins/p/f", input=b"x").code == 0
    path = cfg / "secrets.yaml"
    good = path.read_text()
    line = next(i for i, t in enumerate(good.splitlines(), 1) if secret in t)
    env = {"DSCTL_CONFIG_DIR": str(cfg)}
    damages = {  # the damaged line holds the secret; PyYAML would quote it back
        f"{secret}: [unclosed": "mapping values are not allowed here",
        f"*{secret}": "found undefined alias '...'",
        f"!{secret} x": "could not determine a constructor for the tag '...'",
    }
    for damaged, problem in damages.items():
        path.write_text(good.replace(secret, damaged))
        col = path.read_text().splitlines()[line - 1].index(damaged) + 1
        if problem.startswith("mapping"):
            col += len(secret)
        want = f"dsctl: error: cannot read {path}: {problem} at line {line}, column {col}"
        # a fresh process: no secret registered for scrubbing by earlier commands or tests
        for args in (("ls", "ds://ins/p/"), ("cat", "ds://ins/p/f"), ("profile", "show", "ins"),
                     ("profile", "test", "ins")):
            r = run_proc(*args, env=env)
            assert (r.code, r.err, r.out) == (2, want + "\n", b""), (damaged, args, r)
            r = run_proc("--debug", *args, env=env)
            assert r.code == 2 and r.err.endswith(want + "\n"), (damaged, args, r)
            assert secret not in r.err + r.text and damaged not in r.err, (damaged, args, r)
            # the YAML exception is neither shown nor chained
            assert "site-packages/yaml" not in r.err and "During handling" not in r.err, r
            assert "direct cause" not in r.err and "YAMLError" not in r.err and "Scanner" not in r.err, r
    path.write_text(good)
    assert run("cat", "ds://ins/p/f").out == b"x"


# -- auth env: DSCTL_PROFILE_<NAME>_<FIELD> > the standard variables ---------------------

def _add_env_profile(srv, bucket):
    r = run("profile", "add", "xe", "--type", "s3", "--endpoint-url", srv.endpoint_url, "--allow-http",
            "--path-style", "--bucket", bucket, "--auth", "env")
    assert r.code == 0, r


def _sources(r) -> dict:
    assert r.code == 0, r
    return {line.split()[0]: line.rsplit("(", 1)[-1].rstrip(")") for line in r.lines}


def test_auth_env_profile_show_names_the_variables_in_use(cfg, s3_server, bucket, monkeypatch):
    _add_env_profile(s3_server, bucket)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.admin_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.admin_secret)
    src = _sources(run("profile", "show", "xe"))
    assert src["access_key_id"] == "env AWS_ACCESS_KEY_ID", src
    assert src["secret_access_key"] == "env AWS_SECRET_ACCESS_KEY", src
    r = run("profile", "test", "xe")
    assert r.code == 0 and "env AWS_SECRET_ACCESS_KEY" in r.text + r.err, r
    # the profile's own variables win, and are never mixed with the standard ones
    monkeypatch.setenv("DSCTL_PROFILE_XE_SECRET_ACCESS_KEY", "wrong-secret-XE")
    src = _sources(run("profile", "show", "xe"))
    assert src["secret_access_key"] == "env DSCTL_PROFILE_XE_SECRET_ACCESS_KEY" and "access_key_id" not in src, src
    monkeypatch.setenv("DSCTL_PROFILE_XE_ACCESS_KEY_ID", s3_server.admin_key)
    monkeypatch.setenv("DSCTL_PROFILE_XE_SECRET_ACCESS_KEY", s3_server.admin_secret)
    src = _sources(run("profile", "show", "xe"))
    assert src["access_key_id"] == "env DSCTL_PROFILE_XE_ACCESS_KEY_ID", src
    assert src["secret_access_key"] == "env DSCTL_PROFILE_XE_SECRET_ACCESS_KEY", src


def test_auth_env_profile_uses_its_own_variables_over_aws_ones(cfg, s3_server, bucket, monkeypatch):
    _add_env_profile(s3_server, bucket)
    monkeypatch.setenv("DSCTL_PROFILE_XE_ACCESS_KEY_ID", s3_server.admin_key)
    monkeypatch.setenv("DSCTL_PROFILE_XE_SECRET_ACCESS_KEY", s3_server.admin_secret)
    r = run("cp", "-", "ds://xe/p/f", input=b"env")   # no AWS_* at all
    assert r.code == 0, r
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.reader_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "WRONG-SECRET-XE")
    r = run("cat", "ds://xe/p/f")
    assert r.code == 0 and r.out == b"env", r
    r = run("profile", "test", "xe")
    assert r.code == 0 and "DSCTL_PROFILE_XE_SECRET_ACCESS_KEY" in r.text + r.err, r
    # correct AWS_*, a wrong DSCTL_PROFILE_XE_SECRET_ACCESS_KEY: the latter wins
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.admin_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.admin_secret)
    monkeypatch.setenv("DSCTL_PROFILE_XE_SECRET_ACCESS_KEY", "wrong-secret-XE")
    r = run_proc("ls", "ds://xe/p/", env={"DSCTL_CONFIG_DIR": str(cfg)})
    assert r.code == 4 and "wrong-secret-XE" not in r.err + r.text, r
    monkeypatch.delenv("DSCTL_PROFILE_XE_SECRET_ACCESS_KEY")
    monkeypatch.delenv("DSCTL_PROFILE_XE_ACCESS_KEY_ID")
    r = run("cat", "ds://xe/p/f")   # only the standard variables: they apply
    assert r.code == 0 and r.out == b"env", r


def test_sync_refuses_one_bucket_reached_two_ways_when_they_overlap(real_keyring, s3_server, bucket,
                                                                    tmp_path, monkeypatch):
    """A ds:// profile that differs from the environment's settings only in path_style
    reaches the same objects: `sync --delete s3://b/ov/ ds://p/ov/sub/` deleted the
    SOURCE's sub/b.txt as an extra file. Overlap is judged by where the objects live."""
    _add_s3("ps", s3_server, bucket, s3_server.admin_key, s3_server.admin_secret, "--path-style")
    (tmp_path / "src" / "sub").mkdir(parents=True)
    (tmp_path / "src" / "a.txt").write_bytes(b"a")
    (tmp_path / "src" / "sub" / "b.txt").write_bytes(b"b")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.admin_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.admin_secret)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint_url)
    assert run("sync", f"{tmp_path}/src/", f"s3://{bucket}/ov/").code == 0
    r = run("sync", "--delete", f"s3://{bucket}/ov/", "ds://ps/ov/sub/")
    assert r.code == 2 and "overlapping" in r.err, r
    r = run("cat", f"s3://{bucket}/ov/sub/b.txt")
    assert r.code == 0 and r.out == b"b", r


def test_re_adding_an_insecure_storage_profile_keeps_the_secrets_it_still_has(no_keyring, cfg, s3_server,
                                                                             bucket):
    """Re-added without its session token: the secrets file lost every secret of the
    profile (the new ones too), and the profile then failed with exit 4."""
    args = ("profile", "add", "ins", "--type", "s3", "--endpoint-url", s3_server.endpoint_url,
            "--allow-http", "--bucket", bucket, "--insecure-storage")
    key, secret = s3_server.admin_key, s3_server.admin_secret
    assert run(*args, "--secret", "session_token", input=f"{key}\n{secret}\ntok123\n".encode()).code == 0
    assert run(*args, input=f"{key}\n{secret}\n".encode()).code == 0
    text = (cfg / "secrets.yaml").read_text()
    assert secret in text and "tok123" not in text, text
    r = run("cp", "-", "ds://ins/re/f", input=b"x")
    assert r.code == 0, r


def test_another_profiles_variables_are_not_fields_and_never_shown(real_keyring, cfg):
    """DSCTL_PROFILE_PROD_EU_SECRET_ACCESS_KEY belongs to a profile prod-eu: `profile
    show prod` listed it as a field eu_secret_access_key of prod, the secret in clear."""
    r = run("profile", "add", "prod", "--type", "s3", "--bucket", "b", input=b"AKIDPROD\nprodsecret12345\n")
    assert r.code == 0, r
    env = {"DSCTL_PROFILE_PROD_EU_SECRET_ACCESS_KEY": "wJalrXUtnFEMI-EU-SECRET"}
    for args in (["profile", "show", "prod"], ["--json", "profile", "show", "prod"]):
        r = run(*args, env=env)
        assert r.code == 0 and "EU-SECRET" not in r.text + r.err and "eu_secret" not in r.text, (args, r)


def test_a_profile_name_ending_in_a_newline_is_refused(cfg):
    r = run("profile", "add", "prod\n", "--type", "s3", "--auth", "env", "--bucket", "b")
    assert r.code == 2 and r.err.count("\n") == 1, r
    assert not (cfg / "profiles.yaml").exists()


def test_a_gcs_profile_with_a_key_file_asks_for_no_secret(no_keyring, cfg, tmp_path):
    """--service-account-file names the credentials; profile add still wanted the JSON on
    stdin (exit 2 from a script) or a prompt, and a keyring to keep it in."""
    sa = tmp_path / "sa.json"
    sa.write_text(json.dumps(service_account("http://127.0.0.1:9/token")))
    r = run("profile", "add", "g1", "--type", "gcs", "--bucket", "b", "--service-account-file", sa,
            input=b"")
    assert r.code == 0, r
    r = run("profile", "list")
    assert r.code == 0 and r.lines[1].split()[:5] == ["g1", "gcs", "gs://b", "keyring", "n-a"], r
    # the file is what the profile uses: its unreachable token endpoint is the error
    r = run_proc("ls", "ds://g1/", env={"DSCTL_CONFIG_DIR": str(cfg), "STORAGE_EMULATOR_HOST": None})
    assert r.code in (4, 5) and "127.0.0.1" in r.err and r.err.count("\n") == 1, r


def test_profiles_added_at_the_same_time_are_all_kept(cfg):
    """Eight `profile add`s at once kept two to four profiles (each exited 0): each read
    profiles.yaml, and the last rename won."""
    env = {**os.environ, "DSCTL_CONFIG_DIR": str(cfg)}
    procs = [subprocess.Popen([sys.executable, "-m", "dsctl", "-q", "profile", "add", f"p{i}", "--type",
                               "s3", "--auth", "env", "--bucket", "b"], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(8)]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    r = run("--json", "profile", "list")
    assert sorted(json.loads(x)["name"] for x in r.lines) == [f"p{i}" for i in range(8)], r


def test_hand_edited_values_of_the_wrong_type_are_one_line_exit_2(cfg, tmp_path):
    """Valid YAML, wrong types: Python's "unhashable type: 'list'", "'<' not supported
    between instances of 'str' and 'int'" with exit 1 - in every command for `type: [s3]`."""
    cfg.mkdir()
    cases = {
        "profiles.yaml": ["profiles: {2024: {type: s3, auth: env}, prod: {type: s3, auth: env}}\n",
                          "profiles: {prod: {type: s3, auth: 5}}\n",
                          "profiles: {prod: {type: [s3], auth: env}}\n",
                          "profiles: {prod: {type: s3, secrets: 7}}\n"],
        "config.yaml": ["default_profile: [prod]\n"],
    }
    for name, texts in cases.items():
        for text in texts:
            for other in cases:
                (cfg / other).unlink(missing_ok=True)
            (cfg / name).write_text(text)
            second = ["profile", "show", "prod"] if name == "profiles.yaml" else ["ls", "s3://b/"]
            for args in (["profile", "list"], second):
                r = run(*args)
                assert r.code == 2 and r.err.startswith(f"dsctl: error: cannot read {cfg / name}"), (text, args, r)
                assert r.err.count("\n") == 1, r
