"""Azure Blob listings, metadata and server-side copies through dsctl's own client
(storage.azclient), on Azurite.

What a user notices: `ls`, `ls -r`, `stat`, `rm -r` and copies between containers
answer without loading the Azure SDK (adlfs's import alone took ~0.4 s), folder
markers (`hdi_isfolder`, as ADLS tools write them) are directories - never files,
and gone after `rm -r` - a blob name is listed exactly as stored, and one a local
path cannot hold is refused by itself, not by failing the whole listing.
"""

from __future__ import annotations

import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .cli import run
from .stores import store_in_env
from .test_perf_guards import SDKS, _importtime


@pytest.fixture
def az(request, tmp_path, monkeypatch):
    return store_in_env("az", request, tmp_path, monkeypatch)


@pytest.fixture
def container(azure_server):
    from azure.storage.blob import BlobServiceClient

    svc = BlobServiceClient.from_connection_string(azure_server.connection_string)
    cc = svc.get_container_client("mk" + uuid.uuid4().hex[:12])
    cc.create_container()
    return cc


def test_ls_stat_and_recursive_ls_load_no_azure_sdk(az, tmp_path):
    az.put_many({"p/b.txt": b"bb", "p/a.txt": b"a", "p/sub/c.txt": b"c", "p/sub/d/e.txt": b"e"})
    env = {**az.env, "DSCTL_CONFIG_DIR": str(tmp_path / "c")}
    for args, want in ((["ls", az.url("p/")], ["a.txt", "b.txt", "sub/"]),
                       (["ls", "-r", az.url("p")], ["a.txt", "b.txt", "sub/c.txt", "sub/d/e.txt"]),
                       (["stat", "--json", az.url("p/b.txt")], None)):
        p, mods = _importtime(args, env)
        assert p.returncode == 0, p.stderr[-2000:]
        if want is not None:
            assert p.stdout.decode().splitlines() == want
        else:
            assert '"size": 2' in p.stdout.decode() and '"type": "file"' in p.stdout.decode()
        assert not {m.split(".")[0] for m in mods} & set(SDKS), (args, sorted(mods))


def test_folder_markers_are_directories(container, azure_server, tmp_path, monkeypatch):
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azure_server.connection_string)
    folder = {"hdi_isfolder": "true"}
    container.upload_blob("m/d", b"", metadata=folder)
    container.upload_blob("m/d/x.txt", b"xx")
    container.upload_blob("m/empty", b"", metadata=folder)
    container.upload_blob("m/zero", b"")   # a real empty file, not a marker
    url = f"az://{container.container_name}/m"

    r = run("ls", url + "/")
    assert r.code == 0, r
    assert r.lines == ["d/", "empty/", "zero"]   # the marker d and the prefix d/ are one entry
    r = run("ls", "-r", url)
    assert r.code == 0, r
    assert r.lines == ["d/x.txt", "zero"]
    for name, kind in (("d", "directory"), ("empty", "directory"), ("zero", "file")):
        r = run("stat", f"{url}/{name}")
        assert r.code == 0, r
        assert f"type:         {kind}" in r.text, r
    r = run("cp", "-r", url + "/", tmp_path / "out/")
    assert r.code == 0, r
    got = {str(p.relative_to(tmp_path / "out")): p.read_bytes()
           for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert got == {os.path.join("d", "x.txt"): b"xx", "zero": b""}


def test_names_are_listed_exactly_and_an_unsafe_one_is_refused_alone(container, azure_server,
                                                                     tmp_path, monkeypatch):
    """`odd//y.txt` is a valid blob name but no local path: it is listed as stored,
    and a download refuses it (exit 1) while copying the rest."""
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azure_server.connection_string)
    for name, data in (("m/odd//y.txt", b"EVIL"), ("m/ok.txt", b"ok"), ("m/sp ace+plus%.txt", b"sp")):
        container.upload_blob(name, data)
    url = f"az://{container.container_name}/m"
    r = run("ls", "-r", url)
    assert r.code == 0, r
    assert r.lines == ["odd//y.txt", "ok.txt", "sp ace+plus%.txt"]
    r = run("cp", "-r", url + "/", tmp_path / "out/")
    assert r.code == 1, r
    errors = [line for line in r.err.splitlines() if line.startswith("dsctl: error: ")]
    assert any(f"{url}/odd//y.txt" in line for line in errors), r
    assert "Traceback" not in r.err
    got = {str(p.relative_to(tmp_path)): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert got == {os.path.join("out", "ok.txt"): b"ok", os.path.join("out", "sp ace+plus%.txt"): b"sp"}


def test_rm_r_removes_the_folder_markers_too(container, azure_server, monkeypatch):
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azure_server.connection_string)
    folder = {"hdi_isfolder": "true"}
    for name, data, meta in (("m/d", b"", folder), ("m/d/x.txt", b"xx", None), ("m/d/e", b"", folder),
                             ("m/d/e/y.txt", b"yy", None), ("m/d/empty", b"", folder),
                             ("m/keep.txt", b"k", None)):
        container.upload_blob(name, data, metadata=meta)
    url = f"az://{container.container_name}/m"
    r = run("rm", "-r", url + "/d/")
    assert r.code == 0 and "removed 2 files" in r.err, r
    assert run("ls", url + "/").lines == ["keep.txt"]
    assert [b.name for b in container.list_blobs()] == ["m/keep.txt"]


def test_sync_delete_removes_the_folder_markers_of_what_it_emptied(container, azure_server,
                                                                    monkeypatch, tmp_path):
    """The delete side of sync left the markers of directories it emptied, so `ls` kept
    listing them; a directory that still holds a file keeps its marker."""
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azure_server.connection_string)
    folder = {"hdi_isfolder": "true"}
    for name, data, meta in (("s/a", b"a", None), ("s/old", b"", folder), ("s/old/x", b"x", None),
                             ("s/old/deep", b"", folder), ("s/old/deep/y", b"y", None),
                             ("s/live", b"", folder), ("s/live/k", b"k", None),
                             ("s/live/gone", b"g", None)):
        container.upload_blob(name, data, metadata=meta)
    src = tmp_path / "src"
    (src / "live").mkdir(parents=True)
    (src / "a").write_bytes(b"a")
    (src / "live" / "k").write_bytes(b"k")
    url = f"az://{container.container_name}/s/"
    r = run("sync", "--delete", f"{src}/", url)
    assert r.code == 0, r
    assert run("ls", url).lines == ["a", "live/"]
    assert sorted(b.name for b in container.list_blobs()) == ["s/a", "s/live", "s/live/k"]


def test_copy_within_a_container_and_rm_r_load_no_azure_sdk(az, tmp_path):
    files = {f"src/f{i:03d}.txt": f"blob {i}".encode() for i in range(120)}
    az.put_many(files)
    env = {**az.env, "DSCTL_CONFIG_DIR": str(tmp_path / "c")}
    p, mods = _importtime(["cp", "-r", az.url("src/"), az.url("dst/")], env)
    assert p.returncode == 0, p.stderr[-2000:]
    assert {k: az.get(k.replace("src/", "dst/", 1)) for k in files} == files
    p2, mods2 = _importtime(["rm", "-r", az.url("src/")], env)
    assert p2.returncode == 0 and b"removed 120 files" in p2.stderr, p2.stderr[-2000:]
    assert az.keys() == {k.replace("src/", "dst/", 1) for k in files}
    loaded = {m.split(".")[0] for m in mods | mods2}
    assert not loaded & (set(SDKS) - {"obstore"}), sorted(loaded & set(SDKS))


def test_copy_between_containers_is_server_side_and_keeps_properties(container, azure_server,
                                                                     tmp_path):
    """Copy Blob across two containers of one account: bytes, content type and
    metadata arrive (names with spaces, `+`, `%` and non-ASCII included), and neither
    the Azure SDK nor obstore is loaded - no byte passes through dsctl."""
    from azure.storage.blob import BlobServiceClient, ContentSettings

    names = {"src/a.txt": b"alpha", "src/sub/b c+d%e \u00e9.bin": bytes(range(256)) * 64}
    for name, data in names.items():
        container.upload_blob(name, data, metadata={"owner": "ci"},
                              content_settings=ContentSettings(content_type="application/x-test"))
    other = BlobServiceClient.from_connection_string(
        azure_server.connection_string).get_container_client("to" + uuid.uuid4().hex[:12])
    other.create_container()
    env = {"AZURE_STORAGE_CONNECTION_STRING": azure_server.connection_string,
           "DSCTL_CONFIG_DIR": str(tmp_path / "c")}
    p, mods = _importtime(["cp", "-r", f"az://{container.container_name}/src/",
                           f"az://{other.container_name}/dst/"], env)
    assert p.returncode == 0, p.stderr[-2000:]
    assert b"copied 2 files" in p.stderr, p.stderr
    for name, data in names.items():
        b = other.get_blob_client(name.replace("src/", "dst/", 1))
        assert b.download_blob().readall() == data
        props = b.get_blob_properties()
        assert props.content_settings.content_type == "application/x-test"
        assert props.metadata == {"owner": "ci"}
    assert not {m.split(".")[0] for m in mods} & set(SDKS), sorted(mods)


class _SlowCopy(BaseHTTPRequestHandler):
    """Answers Copy Blob as the service does for a copy it finishes later: 202 with
    `x-ms-copy-status: pending` and a copy id, then HEADs report pending until `heads`
    is used up, then the final `status`. Abort Copy Blob is answered 204."""
    heads = 2
    status = "success"
    seen: list = []

    def _answer(self, code: int, copy_status: str) -> None:
        self.seen.append((self.command, self.path, self.headers.get("x-ms-copy-source")
                          or self.headers.get("x-ms-copy-action")))
        self.send_response(code)
        self.send_header("x-ms-copy-status", copy_status)
        self.send_header("x-ms-copy-id", "id-42")
        self.send_header("x-ms-copy-status-description", "source changed" if copy_status == "failed" else "")
        self.send_header("content-length", "0")
        self.end_headers()

    def do_PUT(self):
        self._answer(204 if "comp=copy" in self.path else 202, "pending")

    def do_HEAD(self):
        cls = type(self)
        cls.heads -= 1
        self._answer(200, "pending" if cls.heads >= 0 else cls.status)

    def log_message(self, *a):
        pass


@pytest.mark.parametrize("final", ["success", "failed", "stopped"])
def test_a_pending_copy_is_awaited_a_failed_one_is_an_error_a_stopped_one_aborted(final):
    """`stopped`: the run is cancelled (Ctrl-C) during the polls - the copy is aborted
    on the service instead of being left to finish after dsctl has exited."""
    from dsctl.storage.azclient import AzureClient, AzureTarget
    from dsctl.storage.rest import StoreError

    handler = type("H", (_SlowCopy,), {"heads": 2, "status": final, "seen": []})
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        c = AzureClient(AzureTarget(f"http://127.0.0.1:{srv.server_port}/acct", "acct", "a2V5"))
        waits: list[float] = []

        def wait(seconds):
            waits.append(seconds)
            return final == "stopped" and len(waits) == 2   # the Event is set at the 2nd poll

        if final == "success":
            c.copy("c1", "a b.txt", "c2", "x/y.txt", wait=wait)
        else:
            with pytest.raises(StoreError, match="copy failed: .*source changed" if final == "failed"
                               else "copy stopped: .*aborted"):
                c.copy("c1", "a b.txt", "c2", "x/y.txt", wait=wait)
    finally:
        srv.shutdown()
    source = f"http://127.0.0.1:{srv.server_port}/acct/c1/a%20b.txt"
    if final == "stopped":
        assert handler.seen == [("PUT", "/acct/c2/x/y.txt", source), ("HEAD", "/acct/c2/x/y.txt", None),
                                ("PUT", "/acct/c2/x/y.txt?comp=copy&copyid=id-42", "abort")]
        assert waits == [0.1, 0.2]
        return
    assert handler.seen == [("PUT", "/acct/c2/x/y.txt", source)] + [("HEAD", "/acct/c2/x/y.txt", None)] * 3
    assert waits == [0.1, 0.2, 0.4]   # polled with a growing pause, not in a busy loop


def test_abort_copy_is_signed_as_the_service_checks(container, azure_server):
    """Abort Copy Blob against the real Azurite: it completes every copy at once, so
    there is nothing to abort and it answers 409 (CopyIdMismatch) - which it only
    does once the request's signature (comp and copyid in the signed resource) passed.
    A wrong key gets its 403, so the check can fail."""
    from dsctl.storage.azclient import AzureClient, AzureTarget
    from dsctl.storage.rest import StoreError

    container.upload_blob("f.txt", b"x")
    ok = AzureClient(AzureTarget(azure_server.blob_endpoint, azure_server.account_name,
                                 azure_server.account_key))
    ok._abort_copy(container.container_name, "f.txt", "00000000-0000-0000-0000-000000000000")
    bad = AzureClient(AzureTarget(azure_server.blob_endpoint, azure_server.account_name, "d3Jvbmc="))
    with pytest.raises(StoreError) as e:
        bad._abort_copy(container.container_name, "f.txt", "00000000-0000-0000-0000-000000000000")
    assert e.value.status == 403
