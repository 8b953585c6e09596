"""Azure Blob listings and metadata through dsctl's own client (storage.azclient), on Azurite.

What a user notices: `ls`, `ls -r`, `stat`, `rm -r` and a copy within a container
answer without loading the Azure SDK (adlfs's import alone took ~0.4 s), folder
markers (`hdi_isfolder`, as ADLS tools write them) are directories - never files,
and gone after `rm -r` - a blob name is listed exactly as stored, and one a local
path cannot hold is refused by itself, not by failing the whole listing.
"""

from __future__ import annotations

import os
import uuid

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
