"""Exit codes and messages for every row of SPEC section 3 that a transfer can hit."""

from __future__ import annotations

import json
import os
import sys
import time
import uuid

import pytest

from .cli import run, run_proc, run_unprivileged
from .stores import service_account, store_in_env


def _s3_env(srv, key=None, secret=None):
    return {"AWS_ACCESS_KEY_ID": key or srv.admin_key,
            "AWS_SECRET_ACCESS_KEY": secret or srv.admin_secret,
            "AWS_ENDPOINT_URL": srv.endpoint_url}


def _one_line_error(r):
    lines = r.err.strip().splitlines()
    assert lines and lines[-1].startswith("dsctl: error: "), r
    assert "Traceback" not in r.err, r


@pytest.fixture
def s3(request, tmp_path, monkeypatch):
    return store_in_env("s3", request, tmp_path, monkeypatch)


@pytest.fixture
def az(request, tmp_path, monkeypatch):
    return store_in_env("az", request, tmp_path, monkeypatch)


def test_wrong_s3_secret_is_access_denied(s3, s3_server, tmp_path, monkeypatch):
    s3.put("f.txt", b"data")
    (tmp_path / "up.txt").write_bytes(b"up")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "definitely-wrong-secret")
    for args in (("ls", s3.url()), ("cat", s3.url("f.txt")), ("cp", s3.url("f.txt"), tmp_path / "o"),
                 ("cp", tmp_path / "up.txt", s3.url("up.txt"))):
        r = run(*args)
        assert r.code == 4, (args, r)
        _one_line_error(r)
        assert "definitely-wrong-secret" not in r.err
    assert not (tmp_path / "o").exists() and not s3.exists("up.txt")


def test_wrong_s3_key_id_is_access_denied(s3, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "NOSUCHKEY")
    r = run("ls", s3.url())
    assert r.code == 4, r
    _one_line_error(r)


def test_read_only_identity_is_denied_writes(s3, s3_server, tmp_path, monkeypatch):
    s3.put("r.txt", b"readable")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.reader_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.reader_secret)
    r = run("cat", s3.url("r.txt"))
    assert r.code == 0 and r.out == b"readable", r
    (tmp_path / "w.txt").write_bytes(b"w")
    r = run("cp", tmp_path / "w.txt", s3.url("w.txt"))
    assert r.code == 4, r
    _one_line_error(r)
    assert not s3.exists("w.txt")
    # deletes too, one object or a prefix (S3 DeleteObjects reports refusals per key)
    s3.put("d/x.txt", b"x")
    for args in (("rm", s3.url("r.txt")), ("rm", "-r", s3.url("d/"))):
        r = run(*args)
        assert r.code == 4, (args, r)
        _one_line_error(r)
    assert s3.get("r.txt") == b"readable" and s3.get("d/x.txt") == b"x"


def test_wrong_azure_key_is_access_denied(az, azure_server, monkeypatch):
    az.put("f.txt", b"data")
    bad_key = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=" * 2
    bad = azure_server.connection_string.replace(azure_server.account_key, bad_key)
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", bad)
    for args in (("cat", az.url("f.txt")), ("ls", az.url()), ("ls", "-r", az.url()),
                 ("stat", az.url("f.txt"))):
        r = run(*args)
        assert r.code == 4, r
        _one_line_error(r)
        assert bad_key not in r.err


def test_an_empty_bucket_lists_empty_and_its_missing_prefix_is_not_found(s3, tmp_path):
    """`prefix/` on S3 is listed without a probe, so "nothing listed" means not found -
    but an existing bucket is there even when it holds nothing."""
    bucket = f"dsctl-empty-{uuid.uuid4().hex[:8]}"
    s3.fs.mkdir(bucket)
    try:
        r = run("ls", f"s3://{bucket}/")
        assert r.code == 0 and r.out == b"", r
        r = run("cp", "-r", f"s3://{bucket}/", f"{tmp_path}/out/")
        assert r.code == 0 and "copied 0 files" in r.err, r
        for args in (("ls", f"s3://{bucket}/nope/"), ("cp", "-r", f"s3://{bucket}/nope/", f"{tmp_path}/o2/")):
            r = run(*args)
            assert r.code == 3, (args, r)
            _one_line_error(r)
    finally:
        s3.fs.rmdir(bucket)


def test_missing_bucket_and_container_are_not_found(s3, az, tmp_path):
    (tmp_path / "f").write_bytes(b"f")
    for url in ("s3://no-such-bucket-dsctl/x", "az://no-such-container-dsctl/x"):
        r = run("ls", url)
        assert r.code == 3, (url, r)
        _one_line_error(r)
        r = run("cp", tmp_path / "f", url)
        assert r.code == 3, (url, r)


@pytest.mark.parametrize("scheme", ["s3", "az", "gs"])
def test_many_files_to_a_missing_bucket_stop_at_the_first_with_one_line(scheme, request, tmp_path,
                                                                       monkeypatch):
    """aws and s5cmd print a failure per file, each after a request; dsctl says it once
    and stops (exit 3), whatever the command, and leaves the source untouched."""
    store = store_in_env(scheme, request, tmp_path, monkeypatch)
    src = tmp_path / "src"
    src.mkdir()
    for i in range(300):
        (src / f"f{i:03}.txt").write_bytes(b"x" * i)
    store.put_many({f"in/f{i:03}.txt": b"y" * i for i in range(100)})
    url = f"{scheme}://no-such-bucket-dsctl-{uuid.uuid4().hex[:8]}/deep/dir/"
    # the last: server-side copies (SeaweedFS answers those with a 500, not NoSuchBucket)
    # a dry-run sync too: it made no copy to find out, and said it would copy 300 files
    for args in (("cp", "-r", f"{src}/", url), ("upload", src, url), ("sync", f"{src}/", url),
                 ("sync", "--dry-run", "--delete", f"{src}/", url),
                 ("--json", "cp", "-r", f"{src}/", url), ("cp", "-r", store.url("in/"), url)):
        r = run(*args)
        assert r.code == 3, (args, r)
        _one_line_error(r)
        assert r.err.count("dsctl: error:") == 1 and "bucket or container not found" in r.err, (args, r)
        assert r.err.strip().endswith(f"({url.rsplit('/', 3)[0]})"), (args, r)   # the bucket, not a file
        assert b'"copied"' not in r.out, (args, r)
    assert len(list(src.iterdir())) == 300 and len(store.keys()) == 100


def test_a_missing_source_among_several_fails_alone(s3, tmp_path):
    """GNU cp copies the other sources and exits 1; dsctl stopped at the missing one
    after copying those before it (what got copied hung on argument order), with no
    summary and no --json summary event."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(b"a")
    (src / "zero").write_bytes(b"")
    for cmd in ("cp", "upload"):
        dest = s3.url(f"{cmd}/")
        r = run("--json", cmd, src / "a.txt", src / "nonexist", src / "zero", dest)
        assert r.code == 1, r
        events = [json.loads(line) for line in r.lines]
        assert [e["event"] for e in events if e.get("src", "").endswith("nonexist")] == ["failed"], events
        assert events[-1] == {**events[-1], "event": "summary", "copied": 2, "failed": 1}, events
    assert {k: s3.get(k) for k in s3.keys()} == {"cp/a.txt": b"a", "cp/zero": b"",
                                                 "upload/a.txt": b"a", "upload/zero": b""}
    r = run("cp", src / "nope1", src / "nope2", tmp_path / "out/")   # every source missing: 3
    assert r.code == 3 and r.err.count("not found") == 2, r


def test_unknown_scheme_and_malformed_urls_are_usage_errors(tmp_path):
    # (`ls s3://` lists the buckets: tests/test_root_listing.py; elsewhere a bare scheme is malformed)
    for args in (("ls", "nosuchscheme://x/y"), ("cp", tmp_path, "s3:///no-bucket"), ("cp", tmp_path, "s3://"),
                 ("cp", "file://relative/path", tmp_path), ("stat", "az://"), ("ls", "s3:///b"), ("cp", "-r"),
                 ("stat", "-"), ("check", "-", tmp_path),   # were "'NoneType' object has no …", 1
                 ("sync", "--checksum", "--size-only", tmp_path, tmp_path / "o"),   # was: last won
                 ("completion",),   # click's "Choose from:" list came over four lines
                 ("ls", "ds://"), ("cat", "http://[::1/x"), ("cat", "http://h:abc/x"),   # were exit 3
                 ("ls", "dbfs://x/y")):   # fsspec's "missing 2 required positional arguments", 1
        r = run(*args)
        assert r.code == 2, (args, r)
        _one_line_error(r)
        assert len(r.err.strip().splitlines()) == 1, (args, r)


@pytest.mark.parametrize("size", ["4MiB", "6GiB"])
def test_a_part_size_outside_what_s3_takes_is_a_usage_error(size, tmp_path):
    """S3 parts are 5 MiB to 5 GiB; 6GiB was accepted (and every part held in memory)."""
    (tmp_path / "f").write_bytes(b"f")
    r = run("cp", "--part-size", size, tmp_path / "f", tmp_path / "g")
    assert r.code == 2 and "--part-size" in r.err and "S3" in r.err, r
    assert not (tmp_path / "g").exists()


def test_bad_option_is_usage_error():
    r = run("cp", "--no-such-option", "a", "b")
    assert r.code == 2, r
    _one_line_error(r)


def test_write_to_http_is_unsupported_before_any_network_call(tmp_path):
    (tmp_path / "f").write_bytes(b"f")
    # Port 9 on loopback is closed: any network attempt would be a transient error (5), not 7.
    t0 = time.monotonic()
    for args in (("cp", tmp_path / "f", "http://127.0.0.1:9/x"), ("upload", tmp_path / "f", "https://127.0.0.1:9/"),
                 ("rm", "http://127.0.0.1:9/x")):
        r = run(*args)
        assert r.code == 7, (args, r)
        _one_line_error(r)
        assert "read-only" in r.err
    assert time.monotonic() - t0 < 5


def test_unreachable_endpoint_is_transient(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    r = run("ls", "s3://bucket/x")
    assert r.code == 5, r
    _one_line_error(r)


def test_partial_failure_is_exit_1_and_lists_failures(s3, tmp_path):
    """One destination is blocked (a directory sits where the file goes); the rest land."""
    s3.put_many({"in/a.txt": b"a", "in/b.txt": b"b", "in/c.txt": b"c"})
    (tmp_path / "dst" / "a.txt").mkdir(parents=True)
    r = run("cp", "-r", s3.url("in/"), f"{tmp_path}/dst/")
    assert r.code == 1, r
    assert (tmp_path / "dst" / "b.txt").read_bytes() == b"b"
    assert (tmp_path / "dst" / "c.txt").read_bytes() == b"c"
    errors = [line for line in r.err.splitlines() if line.startswith("dsctl: error:")]
    assert any("a.txt" in line for line in errors), r
    assert "failed 1" in r.err
    assert sorted(os.listdir(tmp_path / "dst")) == ["a.txt", "b.txt", "c.txt"]  # no temp files


def test_all_items_failing_alike_report_that_code(s3, s3_server, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.reader_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.reader_secret)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_bytes(b"a")
    (tmp_path / "src" / "b.txt").write_bytes(b"b")
    r = run("cp", "-r", f"{tmp_path}/src/", s3.url("out/"))
    assert r.code == 4, r
    assert "failed 2" in r.err


def test_debug_shows_traceback_without_secret(s3, monkeypatch):
    secret = "Sup3rSecretValue-should-never-print"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    r = run_proc("--debug", "ls", s3.url(), env={"AWS_SECRET_ACCESS_KEY": secret})
    assert r.code == 4, r
    assert "Traceback" in r.err
    assert secret not in r.err and secret not in r.text


def test_integrity_short_read_is_exit_6(tmp_path, http_server, monkeypatch):
    """A server that sends fewer bytes than it announced: exit 6, no destination left."""
    import http.server
    import threading

    class Liar(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            self.wfile.flush()
            self.connection.shutdown(2)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Liar)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.server_address[1]}/file.bin"
        r = run("cp", url, tmp_path / "out.bin")
        assert r.code in (5, 6), r  # a cut connection is transient or a size mismatch
        _one_line_error(r)
        assert os.listdir(tmp_path) == []
    finally:
        srv.shutdown()


def test_a_source_growing_during_a_copy_to_memory_is_a_size_mismatch(tmp_path, monkeypatch):
    """The abort of memory://'s writer raised "attribute 'closed' of '_io.BytesIO' objects
    is not writable", which replaced the real error (and the abort did not complete)."""
    from dsctl.engine import streams

    src = tmp_path / "grows.bin"
    src.write_bytes(b"a" * (6 * 1024 * 1024))
    real = streams._raw_chunks

    def growing(ep, size, chunk):   # the file really grows once its first chunk is read
        for i, data in enumerate(real(ep, size, chunk)):
            yield data
            if i == 0:
                with open(ep.path, "ab") as f:
                    f.write(b"b" * 1024 * 1024)

    monkeypatch.setattr(streams, "_raw_chunks", growing)
    r = run("cp", "--part-size", "5MiB", src, "memory://grow-test/g.bin")
    assert r.code == 6 and "size mismatch: expected 6291456 bytes" in r.err, r
    assert run("ls", "memory://grow-test/").code == 3


def test_a_destination_parent_that_cannot_be_made_is_access_denied(tmp_path):
    """mkdir refused (EACCES) while making the destination's parent was reported as
    "not found" (exit 3): the PermissionError carried the first open's
    FileNotFoundError as its context."""
    locked = tmp_path / "locked"
    locked.mkdir()
    (tmp_path / "x").write_bytes(b"x")
    locked.chmod(0o555)
    try:
        r = run_unprivileged("cp", tmp_path / "x", locked / "sub" / "x")
    finally:
        locked.chmod(0o755)
    assert r.code == 4 and "access denied" in r.err and "Permission denied" in r.err, r
    assert list(locked.iterdir()) == []


def test_an_unreadable_subdirectory_is_one_failure_and_the_rest_is_copied(tmp_path):
    """One directory the walk may not list stopped the whole cp -r / sync with exit 4 and
    no summary, leaving files after it uncopied; check called it missing."""
    src = tmp_path / "src"
    (src / "ok").mkdir(parents=True)
    (src / "secret").mkdir()
    (src / "ok" / "a").write_bytes(b"a")
    (src / "z").write_bytes(b"z")
    (src / "secret" / "s").write_bytes(b"s")
    (src / "secret").chmod(0)
    try:
        for cmd in (["cp", "-r"], ["sync"]):
            out = tmp_path / f"out-{cmd[0]}"
            r = run_unprivileged(*cmd, f"{src}/", f"{out}/")
            assert r.code == 1 and "cannot list this directory" in r.err and "failed 1" in r.err, r
            assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == ["ok/a", "z"]
        r = run_unprivileged("check", f"{src}/", f"{tmp_path}/out-sync/")
        assert r.code == 6 and "cannot list (permission denied): secret" in r.text, r
    finally:
        (src / "secret").chmod(0o755)


def test_a_library_s_logged_retries_stay_off_stderr(tmp_path):
    """A service-account file whose token endpoint cannot be reached: gcsfs logged each
    failed request's traceback through Python's last-resort handler - 95 lines on
    stderr before dsctl's one-line error (azure-identity did the same for each
    credential of its chain). Only the error line is left; --debug keeps the logs."""
    sa = tmp_path / "sa.json"
    sa.write_text(json.dumps(service_account("http://127.0.0.1:9/token")))
    env = {"STORAGE_EMULATOR_HOST": None, "GOOGLE_APPLICATION_CREDENTIALS": str(sa)}
    r = run_proc("ls", "gs://some-bucket/", env=env, timeout=120)
    assert r.code in (4, 5) and r.err.count("\n") == 1 and r.err.startswith("dsctl: error: "), r


def test_gcs_credentials_that_cannot_work_are_access_denied_at_once(tmp_path):
    """A GOOGLE_APPLICATION_CREDENTIALS path that does not exist was sent to Google as an
    access token (exit 5, "transient failure"); a damaged service-account file said
    "'refresh_token'" (exit 1). Both are access denied, naming the problem."""
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "service_account", "private_key": "X"}')
    user = tmp_path / "user.json"
    user.write_text('{"type": "authorized_user", "client_id": "a", "client_secret": "b"}')
    cases = {str(tmp_path / "missing.json"): "cannot be read", str(bad): "invalid service-account JSON",
             str(user): "missing refresh_token"}
    for path, says in cases.items():
        r = run_proc("ls", "gs://some-bucket/", env={"STORAGE_EMULATOR_HOST": None,
                                                     "GOOGLE_APPLICATION_CREDENTIALS": path})
        assert r.code == 4 and says in r.err and r.err.count("\n") == 1, r
    r = run_proc("ls", "gs://some-bucket/", env={"STORAGE_EMULATOR_HOST": None,
                                                 "GCP_CREDENTIALS": '{"type": "nonsense"}'})
    assert r.code == 4 and "not a Google credentials JSON" in r.err, r


def test_a_command_group_without_a_command_shows_its_help_whole():
    """`dsctl`, `dsctl profile`: click's help-as-error was squeezed onto one line of
    ~600 characters by the usage-error formatter."""
    for args in ([], ["profile"], ["artifact"]):
        r = run(*args)
        assert r.code == 2, r
        assert r.err.startswith("Usage: dsctl") and "\nCommands:\n" in r.err, r


def test_a_backend_that_cannot_run_here_is_exit_7_naming_the_extra():
    """sftp:// without paramiko must name dsctl's extra (SPEC section 3); hdfs:// without a
    JVM was exit 1 with a hundred dlopen lines in one."""
    r = run("ls", "hdfs://namenode/x")
    assert r.code == 7 and "Unable to load libjvm" in r.err and len(r.err) < 300, r
    r = run("ls", "sftp://host/x")
    assert r.code == 7 and "pip install 'dsctl[sftp]'" in r.err, r


def test_a_key_that_may_not_list_never_overwrites_what_it_should_skip(s3, tmp_path, monkeypatch):
    """upload (and cp --no-clobber) of a tree with a key allowed Get and Put but not
    List: the failed listing was read as "nothing there", so every object was
    overwritten, exit 0. Each file is now asked for by itself; one S3 will not say
    about (403 for a missing key without List) is not written, and the error says how."""
    from .servers.seaweed import UNLISTING_KEY, UNLISTING_SECRET

    s3.put("up/run/model.bin", b"ORIGINAL")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "model.bin").write_bytes(b"NEW")
    (tmp_path / "run" / "extra.bin").write_bytes(b"E")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", UNLISTING_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", UNLISTING_SECRET)
    assert run("ls", s3.url("up/")).code == 4                  # the key really may not list
    for args in (["upload", tmp_path / "run", s3.url("up/")],
                 ["cp", "-r", "--no-clobber", f"{tmp_path}/run/", s3.url("up/run/")]):
        r = run(*args)
        assert r.code == 1 and "skipped 1" in r.err and "--overwrite writes anyway" in r.err, r
        assert "extra.bin" in r.err and "Traceback" not in r.err, r
        assert s3.get("up/run/model.bin") == b"ORIGINAL" and not s3.exists("up/run/extra.bin")
    r = run("upload", "--overwrite", tmp_path / "run", s3.url("up/"))
    assert r.code == 0 and s3.get("up/run/model.bin") == b"NEW" and s3.get("up/run/extra.bin") == b"E", r


def test_an_http_url_ending_in_a_slash_is_asked_for_before_it_is_a_directory(http_server):
    """`stat http://h/nonexistent/` said "type: directory", exit 0 - for a 404, a 401
    and a host where nothing listens alike - and cat said "is a directory" (exit 2)."""
    from .servers.base import free_port

    (http_server.root / "here").mkdir(exist_ok=True)
    (http_server.root / "here" / "f.txt").write_bytes(b"f")
    cases = {f"{http_server.http_url}/nonexistent/": 3, f"{http_server.http_url}/private/": 4,
             f"http://127.0.0.1:{free_port()}/": 5}
    for url, code in cases.items():
        for cmd in ("stat", "cat"):
            r = run(cmd, url)
            assert r.code == code and r.err.count("\n") == 1, (cmd, url, r)
    r = run("stat", f"{http_server.http_url}/here/")
    assert r.code == 0 and "directory" in r.text, r


_APACHE_INDEX = """<html><body><h1>Index of {path}</h1><table>
<tr><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th>
<th><a href="?C=S;O=A">Size</a></th></tr>
<tr><td><a href="/">Parent Directory</a></td></tr><tr><td><a href="../">up</a></td></tr>
{rows}<tr><td><a href="#top">top</a> <a href="mailto:web@example.org">mail</a></td></tr>
</table></body></html>"""


def test_http_index_links_that_are_not_entries_are_left_out(http_server, tmp_path):
    """An Apache-style index has sort links (?C=N;O=D), a parent link, a fragment and a
    mailto: - ls listed each as a file and cp -r wrote the index page under each name
    (exit 0), or failed on mailto: (exit 1). rclone keeps only the names below."""
    top = http_server.root / "apache"
    (top / "sub").mkdir(parents=True, exist_ok=True)
    (top / "a.txt").write_bytes(b"A")
    (top / "sub" / "b.txt").write_bytes(b"B")
    rows = '<tr><td><a href="a.txt">a.txt</a> <a href="./a.txt">again</a></td></tr>' \
           '<tr><td><a href="sub/">sub/</a></td></tr>'
    (top / "index.html").write_text(_APACHE_INDEX.format(path="/apache/", rows=rows))
    (top / "sub" / "index.html").write_text(_APACHE_INDEX.format(
        path="/apache/sub/", rows='<tr><td><a href="b.txt">b.txt</a></td></tr>'))
    url = f"{http_server.http_url}/apache/"
    r = run("ls", url)
    assert r.code == 0 and r.lines == ["a.txt", "sub/"], r
    r = run("ls", "-r", url)
    assert r.code == 0 and r.lines == ["a.txt", "sub/b.txt"], r
    r = run("cp", "-r", url, f"{tmp_path}/out/")
    assert r.code == 0 and "copied 2 files" in r.err, r
    got = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert got == ["a.txt", "sub/b.txt"] and (tmp_path / "out" / "a.txt").read_bytes() == b"A"


def test_single_failures_get_their_own_exit_code_not_partial(s3, az, tmp_path, http_server):
    """Each of these was exit 1 ("some items failed, others succeeded") with a library's
    words: a glob in the bucket name, an invalid container name, an over-long local
    name, an http URL without a host, a 410."""
    cases = [(["ls", "s3://dsctl-t*/x"], 2), (["cat", "az://UPPER/x"], 2), (["cat", "az://a/x"], 2),
             (["cat", str(tmp_path / ("n" * 300))], 2), (["ls", "http://:80/"], 2),
             (["stat", "http://:80/"], 2)]
    for args, code in cases:
        r = run(*args)
        assert r.code == code and r.err.count("\n") == 1 and "Traceback" not in r.err, (args, r)
    # configuration that names nothing usable: a malformed connection string, an AWS profile
    # that does not exist
    for env, args, code in (({"AZURE_STORAGE_CONNECTION_STRING": "garbage"}, ["cat", "az://c/x"], 2),
                            ({"AWS_PROFILE": "nosuch-dsctl", "AWS_ACCESS_KEY_ID": None,
                              "AWS_SECRET_ACCESS_KEY": None}, ["ls", "s3://b/"], 3)):
        r = run_proc(*args, env=env)
        assert r.code == code and r.err.count("\n") == 1, (env, r)


def test_bad_credential_helper_output_is_access_denied(tmp_path, monkeypatch):
    """A helper printing a JSON list, an unreadable Expiration or a number for a key:
    exit 1 with "'list' object has no attribute 'get'" and the like."""
    monkeypatch.setenv("DSCTL_CONFIG_DIR", str(tmp_path / "cfg"))
    outputs = ['["a"]', '{"AccessKeyId": "A", "SecretAccessKey": "S", "Expiration": "garbage"}',
               '{"AccessKeyId": "A", "SecretAccessKey": 12345678}']
    for i, out in enumerate(outputs):
        helper = tmp_path / f"h{i}.py"
        helper.write_text(f"print({out!r})")
        r = run("profile", "add", f"c{i}", "--type", "s3", "--endpoint-url", "http://127.0.0.1:9",
                "--allow-http", "--bucket", "b", "--auth", "command", "--command",
                f"{sys.executable} {helper}")
        assert r.code == 0, r
        r = run("ls", f"ds://c{i}/")
        assert r.code == 4 and "credential command" in r.err and r.err.count("\n") == 1, (out, r)
