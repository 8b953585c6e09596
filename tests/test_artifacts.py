"""Versioned artifacts (SPEC section 5) against the local default root, SeaweedFS (S3) and Azurite.

Each test gets a fresh root: the local one is the embedded default under the
user data dir (nothing configured at all); the S3 and Azure ones are a fresh
prefix set through DSCTL_ARTIFACT_ROOT. Object counts and tampering go through
the Store's own client, never through dsctl.
"""

from __future__ import annotations

import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import yaml

from .cli import run, run_proc
from .stores import Store, make_store, store_in_env

PINNED = re.compile(r"^store://(\w+)/(\w[\w.-]*)/(\w[\w.-]*)#(\d+)@([0-9a-f]{64})$")


@dataclass
class Root:
    name: str
    url: str
    store: Store      # independent client; keys are relative to store.base
    prefix: str       # the root's path below store.base ("" or "arts/")

    def keys(self, project: str, under: str = "") -> set[str]:
        start = f"{self.prefix}{project}/{under}"
        return {k[len(start):] for k in self.store.keys() if k.startswith(start)}

    def rel(self, project: str, sub: str) -> str:
        return f"{self.prefix}{project}/{sub}"


def _root(kind: str, request, tmp_path, monkeypatch) -> Root:
    monkeypatch.delenv("DSCTL_ARTIFACT_ROOT", raising=False)
    monkeypatch.setenv("DSCTL_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if kind == "local":  # the embedded default: no root configured anywhere
        base = tmp_path / "xdg" / "dsctl" / "artifacts"
        return Root("local", str(base), Store("local", str(base), None, str(base)), "")
    s = store_in_env(kind, request, tmp_path, monkeypatch)
    monkeypatch.setenv("DSCTL_ARTIFACT_ROOT", s.url("arts"))
    return Root(kind, s.url("arts"), s, "arts/")


@pytest.fixture(params=["local", "s3", "az"])
def root(request, tmp_path, monkeypatch) -> Root:
    return _root(request.param, request, tmp_path, monkeypatch)


@pytest.fixture(params=["local", "s3"])
def root2(request, tmp_path, monkeypatch) -> Root:
    return _root(request.param, request, tmp_path, monkeypatch)


def _log(*args, code=0):
    r = run("artifact", "log", *args)
    assert r.code == code, r
    return r


def _uri(r) -> str:
    line = r.lines[-1]
    assert PINNED.match(line), r
    return line


def test_the_same_bytes_logged_as_another_kind_are_a_version_of_that_kind(root2, tmp_path):
    """Identical content under store://plots/ after a model: it was "unchanged" (exit 0)
    and printed the model's URI, and `show store://plots/p/k` was then not found."""
    f = tmp_path / "fig.bin"
    f.write_bytes(b"same bytes")
    v1 = _uri(_log(f, "store://models/p/k"))
    r = _log(f, "store://plots/p/k")
    v2 = _uri(r)
    assert v2.startswith("store://plots/p/k#2@") and "unchanged" not in r.err, r
    r = run("--json", "artifact", "show", "store://plots/p/k")
    assert r.code == 0 and json.loads(r.out)["kind"] == "plot", r
    assert run("artifact", "show", "store://models/p/k").code == 3     # latest is a plot now
    assert run("artifact", "show", v1).code == 0
    for again in ("store://plots/p/k", "store://artifacts/p/k"):          # no kind asked: any
        r = _log(f, again)
        assert _uri(r) == v2 and "unchanged" in r.err, (again, r)


def test_log_tag_log_get_by_every_selector(root, tmp_path):
    f = tmp_path / "model.bin"
    f.write_bytes(b"weights v1")
    r = _log(f, "store://models/demo/clf:prod", "--label", "team=ml", "--description", "first")
    v1 = _uri(r)
    assert PINNED.match(v1).group(4) == "1" and v1.startswith("store://models/demo/clf#1@")
    uid1 = PINNED.match(v1).group(5)

    r = _log(f, "store://models/demo/clf")  # identical content: no new version, same URI
    assert _uri(r) == v1 and "unchanged" in r.err

    f.write_bytes(b"weights v2, longer")
    v2 = _uri(_log(f, "store://models/demo/clf", "--label", "team=ml"))
    assert v2.startswith("store://models/demo/clf#2@")
    r = run("artifact", "tag", "store://models/demo/clf#1", "stable")
    assert r.code == 0 and r.lines == [v1], r

    out = tmp_path / "out"
    out.mkdir()
    cases = {"": b"weights v2, longer", "#1": b"weights v1", ":prod": b"weights v1",
             ":stable": b"weights v1", ":latest": b"weights v2, longer", f"@{uid1[:8]}": b"weights v1",
             f"^{uid1}": b"weights v1", f"#1:prod@{uid1[:6]}": b"weights v1", "#2": b"weights v2, longer"}
    for i, (sel, want) in enumerate(cases.items()):
        dest = out / f"m{i}.bin"
        r = run("artifact", "get", f"store://models/demo/clf{sel}", dest)
        assert r.code == 0, (sel, r)
        assert dest.read_bytes() == want, sel
    r = run("artifact", "get", "store://artifacts/demo/clf:prod", "-")   # any kind via artifacts/
    assert r.code == 0 and r.out == b"weights v1", r
    assert "copied 1 file" in r.err, r   # the summary line every transfer ends with
    r = run("--json", "artifact", "get", "store://artifacts/demo/clf:prod", "-")
    assert r.code == 0 and r.out == b"weights v1" and '"event": "summary"' in r.err, r
    r = run("artifact", "get", "store://models/demo/clf", out / "")       # into a directory
    assert r.code == 0 and (out / "model.bin").read_bytes() == b"weights v2, longer", r

    for bad, code in [("#1:latest", 2), (f"#2@{uid1[:8]}", 2), ("#1#2", 2), ("#0", 2), ("@xyz", 2),
                      ("#9", 3), (":nope", 3), ("@" + "0" * 12, 3)]:
        r = run("artifact", "get", f"store://models/demo/clf{bad}", out / "x")
        assert r.code == code, (bad, r)
        assert not (out / "x").exists()
    assert run("artifact", "get", "store://models/demo/nothere", out / "x").code == 3
    assert run("artifact", "get", "store://datasets/demo/clf", out / "x").code == 3   # a model, not a dataset
    assert run("artifact", "get", "store://models/nope/clf", out / "x").code == 3
    assert run("artifact", "tag", "store://models/demo/clf", "latest").code == 2

    r = run("artifact", "show", "store://models/demo/clf:stable")
    assert r.code == 0, r
    rec = yaml.safe_load(r.out)
    assert rec["uri"] == v1 and rec["tags"] == ["prod", "stable"] and rec["uid"] == uid1
    assert rec["labels"] == {"team": "ml"} and rec["description"] == "first" and rec["kind"] == "model"
    assert rec["hash"].startswith("sha256:") and rec["size"] == 10 and rec["name"] == "model.bin"

    r = run("artifact", "list")
    assert r.code == 0, r
    assert r.lines[0].split() == ["PROJECT", "KEY", "VERSION", "KIND", "SIZE", "CREATED", "TAGS", "UID"]
    assert [line.split()[:3] for line in r.lines[1:]] == [["demo", "clf", "1"], ["demo", "clf", "2"]]
    r = run("--json", "artifact", "list", "--project", "demo", "--tag", "prod")
    assert [json.loads(x)["uri"] for x in r.lines] == [v1], r
    r = run("artifact", "list", "--json", "--key", "clf", "--label", "team=ml", "--kind", "model", "--since", "1h")
    assert [json.loads(x)["version"] for x in r.lines] == [1, 2], r
    r = run("artifact", "list", "--json", "--since", "2999-01-01")
    assert r.code == 0 and r.lines == [], r
    assert run("artifact", "list", "--since", "yesterday-ish").code == 2


def test_store_urls_work_with_cp_cat_stat_download(root, tmp_path):
    d = tmp_path / "tree"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_bytes(b"alpha")
    (d / "sub" / "b.txt").write_bytes(b"beta")
    uri = _uri(_log(d, "store://artifacts/demo/tree:v"))
    rec = json.loads(run("--json", "artifact", "show", uri).out)
    assert rec["type"] == "dir" and rec["files"] == 2 and rec["size"] == 9 and rec["name"] == "tree"

    r = run("cp", "-r", "store://artifacts/demo/tree:v", tmp_path / "copy")
    assert r.code == 0, r
    assert (tmp_path / "copy" / "sub" / "b.txt").read_bytes() == b"beta"
    r = run("download", "store://artifacts/demo/tree", tmp_path / "dl")
    assert r.code == 0 and (tmp_path / "dl" / "tree" / "a.txt").read_bytes() == b"alpha", r
    r = run("artifact", "get", uri, tmp_path / "got")
    assert r.code == 0 and (tmp_path / "got" / "sub" / "b.txt").read_bytes() == b"beta", r
    r = run("ls", "-r", "store://artifacts/demo/tree")
    assert r.lines == ["a.txt", "sub/b.txt"], r
    r = run("artifact", "get", uri, root.store.url("exported") + "/")     # DEST may be any URL
    assert r.code == 0 and root.store.get("exported/tree/sub/b.txt") == b"beta", r

    f = tmp_path / "one.csv"
    f.write_bytes(b"x,y\n1,2\n")
    _log(f, "store://artifacts/demo/one")
    r = run("cat", "store://artifacts/demo/one")
    assert r.code == 0 and r.out == b"x,y\n1,2\n", r
    r = run("--json", "stat", "store://artifacts/demo/one#1")
    assert r.code == 0 and json.loads(r.out)["size"] == 8, r
    r = run("cp", "store://artifacts/demo/one", str(tmp_path / "c") + "/")
    assert r.code == 0 and (tmp_path / "c" / "one.csv").read_bytes() == b"x,y\n1,2\n", r
    r = run("cp", f, "store://artifacts/demo/one")      # store:// is read-only
    assert r.code == 7, r
    # A store:// source is lineage: the new record pins it.
    r = run("--json", "artifact", "log", "store://artifacts/demo/one", "store://artifacts/demo/derived",
            "--source", "store://artifacts/demo/tree:v", "--source", "s3://user:pw@bucket/raw.csv")
    assert r.code == 0, r
    rec = json.loads(r.lines[-1])["record"]
    assert rec["sources"][0].startswith("store://artifacts/demo/one#1@")
    assert rec["sources"][1] == uri and "pw" not in rec["sources"][2]


def test_dedup_stores_bytes_once(root, tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "a.bin").write_bytes(b"A" * 1000)
    (d / "copy-of-a.bin").write_bytes(b"A" * 1000)
    (d / "b.bin").write_bytes(b"B" * 1000)
    _log(d, "store://artifacts/p/tree")
    objects = root.keys("p", "objects/")
    assert len(objects) == 3, objects          # a, b and the manifest

    r = run("--json", "artifact", "log", d / "a.bin", "store://artifacts/p/single")
    assert r.code == 0, r
    events = [json.loads(x) for x in r.lines]
    assert [e["event"] for e in events[:-2]] == ["skipped"] and events[-2]["copied"] == 0, events
    assert events[-1]["created"] is True
    assert root.keys("p", "objects/") == objects    # same bytes: no new object

    (d / "b.bin").write_bytes(b"C" * 1000)            # one changed file: one blob + one manifest
    r = _log(d, "store://artifacts/p/tree")
    assert "uploaded 1 file" in r.err and "skipped 1" in r.err, r
    assert len(root.keys("p", "objects/")) == 5

    r = _log(d, "store://artifacts/p/tree")           # unchanged: no version, exit 0
    assert "unchanged" in r.err and _uri(r).startswith("store://artifacts/p/tree#2@")
    r = _log(d, "store://artifacts/p/tree", "--force")
    assert _uri(r).startswith("store://artifacts/p/tree#3@")
    assert len(root.keys("p", "objects/")) == 5
    assert root.keys("p", "keys/tree/versions/") == {"00000001.json", "00000002.json", "00000003.json"}


def test_eight_racing_processes_make_eight_versions(root, tmp_path):
    srcs = []
    for i in range(8):
        f = tmp_path / f"in{i}.txt"
        f.write_bytes(f"content {i}\n".encode())
        srcs.append(f)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda f: run_proc("artifact", "log", f, "store://artifacts/race/k"), srcs))
    for r in results:
        assert r.code == 0, r
    uris = [r.lines[-1] for r in results]
    assert sorted(int(PINNED.match(u).group(4)) for u in uris) == list(range(1, 9)), uris
    assert len(root.keys("race", "keys/k/versions/")) == 8
    for f, u in zip(srcs, uris):
        r = run("artifact", "get", u, "-")
        assert r.code == 0 and r.out == f.read_bytes(), r
    r = run("--json", "artifact", "list", "--project", "race")
    assert [json.loads(x)["version"] for x in r.lines] == list(range(1, 9))


def _tamper(root: Root, project: str, digest: str, data: bytes) -> None:
    root.store.put(root.rel(project, f"objects/sha256/{digest[:2]}/{digest}"), data)


def test_tampered_content_is_exit_6_and_leaves_nothing(root2, tmp_path):
    root = root2
    f = tmp_path / "data.bin"
    f.write_bytes(b"0123456789" * 100)
    uri = _uri(_log(f, "store://artifacts/t/file"))
    digest = json.loads(run("--json", "artifact", "show", uri).out)["hash"].split(":")[1]
    _tamper(root, "t", digest, b"0123456789" * 99 + b"012345678X")      # same size
    dest = tmp_path / "out.bin"
    r = run("artifact", "get", uri, dest)
    assert r.code == 6 and "does not match" in r.err and "Traceback" not in r.err, r
    assert not dest.exists() and not [p for p in tmp_path.iterdir() if ".dsctl-part" in p.name]
    assert run("cat", uri).code == 6
    _tamper(root, "t", digest, b"short")                                # other size
    assert run("artifact", "get", uri, dest).code == 6 and not dest.exists()
    # to stdout, a blob shorter than its record or with other bytes: none of it goes
    # out - a short one's bytes went out before the size check failed
    for blob in (b"short", b"X123456789" * 100):
        _tamper(root, "t", digest, blob)
        for args in (["artifact", "get", uri, "-"], ["cat", uri]):
            r = run(*args)
            assert r.code == 6 and r.out == b"", (blob, args, r)

    d = tmp_path / "dir"
    d.mkdir()
    for i in range(5):
        (d / f"f{i}.txt").write_bytes(f"file {i}".encode())
    uri = _uri(_log(d, "store://artifacts/t/dir"))
    h = __import__("hashlib").sha256(b"file 3").hexdigest()
    _tamper(root, "t", h, b"file 9")
    r = run("artifact", "get", uri, tmp_path / "dirout")
    assert r.code == 6, r
    assert not (tmp_path / "dirout").exists()

    rec_key = root.rel("t", "keys/file/versions/00000001.json")
    rec = json.loads(root.store.get(rec_key))
    rec["size"] = 1
    root.store.put(rec_key, json.dumps(rec).encode())
    r = run("artifact", "show", "store://artifacts/t/file")
    assert r.code == 6 and "uid" in r.err, r


def test_large_file_round_trip_and_tamper(root2, tmp_path):
    """Bigger than one part: exercises the ranged/multipart paths, one part at a time."""
    root = root2
    f = tmp_path / "big.bin"
    f.write_bytes(os.urandom(9 * 1024 * 1024 + 123))
    uri = _uri(_log(f, "store://artifacts/big/b"))
    r = run("artifact", "get", uri, tmp_path / "back.bin")
    assert r.code == 0 and (tmp_path / "back.bin").read_bytes() == f.read_bytes(), r
    digest = json.loads(run("--json", "artifact", "show", uri).out)["hash"].split(":")[1]
    data = bytearray(f.read_bytes())
    data[-1] ^= 0xFF
    _tamper(root, "big", digest, bytes(data))
    r = run("artifact", "get", uri, tmp_path / "bad.bin")
    assert r.code == 6 and not (tmp_path / "bad.bin").exists(), r


def test_get_of_a_tampered_large_file_to_stdout_or_a_store_fails_and_leaves_nothing(root2, tmp_path):
    """Verified before the last chunk leaves (stdout) or before the upload completes
    (a store URL; on the root's own store too - no unverified server-side copy)."""
    root = root2
    f = tmp_path / "big.bin"
    f.write_bytes(os.urandom(9 * 1024 * 1024 + 7))
    uri = _uri(_log(f, "store://artifacts/tl/b"))
    out = root.store.url("out/copy.bin")
    r = run("artifact", "get", uri, out)
    assert r.code == 0 and root.store.get("out/copy.bin") == f.read_bytes(), r
    digest = json.loads(run("--json", "artifact", "show", uri).out)["hash"].split(":")[1]
    data = bytearray(f.read_bytes())
    data[5] ^= 0xFF
    _tamper(root, "tl", digest, bytes(data))
    r = run("artifact", "get", uri, "-")
    assert r.code == 6 and len(r.out) < len(data), r
    r = run("artifact", "get", uri, root.store.url("out/bad.bin"))
    assert r.code == 6 and "Traceback" not in r.err, r
    assert not root.store.exists("out/bad.bin")
    # Shorter than its record: cut inside the first 8 MiB range (so whichever range is
    # answered first finds it) and inside the second (only a short answer there tells).
    for cut in (7 * 1024 * 1024, 8 * 1024 * 1024 + 512 * 1024):
        _tamper(root, "tl", digest, bytes(data[:cut]))
        r = run("artifact", "get", uri, tmp_path / "short.bin")
        assert r.code == 6 and "Traceback" not in r.err, (cut, r)
        assert not (tmp_path / "short.bin").exists()


@pytest.mark.parametrize("size", [1000, 9 * 1024 * 1024 + 3], ids=["one-request", "multipart"])
def test_a_source_changed_after_hashing_is_not_stored(root2, tmp_path, size):
    """`artifact log` stores exactly the bytes it hashed: a file changed between the
    two passes fails with exit 6 and leaves no blob under the hash it announced."""
    from dsctl.artifacts import content
    from dsctl.artifacts.root import project_endpoint
    from dsctl.engine import events as ev

    root = root2
    f = tmp_path / "src.bin"
    f.write_bytes(os.urandom(size))
    scanned = content.scan(str(f), "k")
    digest = scanned.sha256
    data = bytearray(f.read_bytes())
    data[-1] ^= 0xFF   # same size, other bytes
    f.write_bytes(bytes(data))
    summary = content.upload(scanned, project_endpoint("chg"), ev.null_sink)
    assert summary.failed == 1 and [x.exit_code for x in summary.failures] == [6], summary
    assert not root.store.exists(root.rel("chg", f"objects/sha256/{digest[:2]}/{digest}"))


def test_log_get_and_list_load_no_cloud_sdk(root, tmp_path):
    """On every root, log, get and list go through dsctl's own clients and obstore: s3fs,
    adlfs and the SDKs under them (~0.5 s and ~40 MB to import) are never loaded."""
    from .test_perf_guards import SDKS, _importtime

    f = tmp_path / "m.bin"
    f.write_bytes(os.urandom(9 * 1024 * 1024 + 1))
    env = {k: v for k, v in os.environ.items() if k.startswith(("DSCTL_", "AWS_", "AZURE_", "XDG_"))}
    p, mods = _importtime(["artifact", "log", f, "store://artifacts/imp/m"], env)
    assert p.returncode == 0, p.stderr[-2000:]
    uri = p.stdout.decode().splitlines()[-1]
    p2, mods2 = _importtime(["artifact", "get", uri, tmp_path / "back.bin"], env)
    assert p2.returncode == 0, p2.stderr[-2000:]
    assert (tmp_path / "back.bin").read_bytes() == f.read_bytes()
    p3, mods3 = _importtime(["--json", "artifact", "list"], env)   # discovers the projects
    assert p3.returncode == 0, p3.stderr[-2000:]
    assert [json.loads(x)["project"] for x in p3.stdout.decode().splitlines()] == ["imp"]
    loaded = {m.split(".")[0] for m in mods | mods2 | mods3}
    assert not loaded & (set(SDKS) - {"obstore"}), sorted(loaded & set(SDKS))


def test_second_config_dir_and_project_template(request, tmp_path, monkeypatch):
    s = _root("s3", request, tmp_path, monkeypatch).store
    monkeypatch.delenv("DSCTL_ARTIFACT_ROOT")
    template = s.url("team/{{project}}/artifacts")
    for name in ("ci-a", "ci-b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.yaml").write_text(yaml.safe_dump({"artifact_root": template}))
    f = tmp_path / "x.txt"
    f.write_bytes(b"from machine a")
    r = run("--config-dir", tmp_path / "ci-a", "artifact", "log", f, "store://artifacts/alpha/x:prod")
    assert r.code == 0, r
    assert s.exists("team/alpha/artifacts/keys/x/versions/00000001.json")
    r = run("--config-dir", tmp_path / "ci-a", "artifact", "log", f, "store://artifacts/beta/y")
    r = run("--config-dir", tmp_path / "ci-b", "artifact", "get", "store://artifacts/alpha/x:prod", "-")
    assert r.code == 0 and r.out == b"from machine a", r
    r = run("--config-dir", tmp_path / "ci-b", "--json", "artifact", "list")
    assert [(json.loads(x)["project"], json.loads(x)["key"]) for x in r.lines] == [("alpha", "x"), ("beta", "y")]
    # --artifact-root beats the config file; env beats it too.
    other = tmp_path / "elsewhere"
    r = run("--config-dir", tmp_path / "ci-b", "artifact", "--artifact-root", other, "list", "--json")
    assert r.code == 0 and r.lines == [], r
    r = run("--config-dir", tmp_path / "ci-b", "artifact", "log", f, "store://artifacts/alpha/x",
            env={"DSCTL_ARTIFACT_ROOT": str(other)})
    assert r.code == 0 and (other / "alpha" / "keys" / "x" / "versions" / "00000001.json").exists(), r


def test_producer_lineage_and_secrets(tmp_path, monkeypatch):
    monkeypatch.setenv("DSCTL_ARTIFACT_ROOT", str(tmp_path / "root"))
    f = tmp_path / "a.txt"
    f.write_bytes(b"a")
    r = run_proc("--json", "artifact", "log", f, "store://artifacts/p/a", "--label", "password=hunter2xyz",
                 "--description", "d")
    assert r.code == 0, r
    rec = json.loads(r.lines[-1])["record"]
    prod = rec["producer"]
    assert prod["user"] and prod["host"] and prod["dsctl"]
    assert prod["command"].startswith("dsctl --json artifact log") and "hunter2xyz" not in prod["command"]
    assert re.fullmatch(r"[0-9a-f]{40}", prod["git"]["commit"]) and isinstance(prod["git"]["dirty"], bool)


@pytest.mark.parametrize("uri", ["store://things/p/k", "store://artifacts/p", "store://artifacts/p/k/x",
                                 "store://artifacts/p/k#a", "store://artifacts/p/k:", "store://artifacts/-p/k",
                                 "store://artifacts/p/k@12", "store://artifacts/p/k#1#2"])
def test_malformed_uris_are_usage_errors(uri, tmp_path, monkeypatch):
    monkeypatch.setenv("DSCTL_ARTIFACT_ROOT", str(tmp_path))
    for args in (("artifact", "get", uri), ("cat", uri), ("artifact", "show", uri)):
        r = run(*args)
        assert r.code == 2 and r.err.startswith("dsctl: error:"), (args, r)


def test_log_usage_and_read_only_roots(tmp_path, monkeypatch):
    monkeypatch.setenv("DSCTL_ARTIFACT_ROOT", str(tmp_path / "root"))
    f = tmp_path / "a.txt"
    f.write_bytes(b"a")
    assert run("artifact", "log", f, "store://artifacts/p/k#2").code == 2
    assert run("artifact", "log", f, "store://artifacts/p/k:latest").code == 2
    assert run("artifact", "log", f, "store://models/p/k", "--kind", "dataset").code == 2
    assert run("artifact", "log", f, "store://artifacts/p/k", "--kind", "dir").code == 2
    assert run("artifact", "log", tmp_path / "missing", "store://artifacts/p/k").code == 3
    assert run("artifact", "log", f, "store://artifacts/p/k", "--label", "nokey").code == 2
    r = run("artifact", "--artifact-root", "https://127.0.0.1:9/x", "log", f, "store://artifacts/p/k")
    assert r.code == 7, r
    # memory:// lives in this process: log and read back in one process works.
    r = run("artifact", "--artifact-root", "memory://arts-test", "log", f, "store://artifacts/p/k")
    assert r.code == 0, r
    r = run("artifact", "--artifact-root", "memory://arts-test", "get", "store://artifacts/p/k", "-")
    assert r.code == 0 and r.out == b"a", r


@pytest.mark.parametrize("kind", ["local", "memory", "s3", "az", "gs"])
def test_create_only_writes_refuse_to_overwrite(kind, request, tmp_path, monkeypatch):
    from dsctl.artifacts import storeio
    from dsctl.storage import resolve

    root = _root(kind, request, tmp_path, monkeypatch) if kind != "memory" else None
    if kind == "memory":
        s = make_store("memory", request, tmp_path)
        root = Root("memory", s.url("arts"), s, "arts/")
    ep = resolve(root.url).child("probe/once.json")
    assert storeio.create_only_supported(ep)
    assert storeio.put_new(ep, b"first") is True
    assert storeio.put_new(ep, b"second") is False
    assert root.store.get(root.prefix + "probe/once.json") == b"first"


def test_a_copy_of_the_root_served_over_http_is_readable(request, tmp_path, monkeypatch):
    """History travels with the root: serve a root read-only over HTTP and read it there."""
    srv = request.getfixturevalue("http_server")
    monkeypatch.setenv("SSL_CERT_FILE", str(srv.ca_file))
    local = os.path.join(srv.root, f"arts-{os.getpid()}-{tmp_path.name}")
    f = tmp_path / "a.txt"
    f.write_bytes(b"served")
    r = run("artifact", "--artifact-root", local, "log", f, "store://artifacts/web/a:prod")
    assert r.code == 0, r
    for d, dirs, files in os.walk(local):
        os.chmod(d, 0o755)
        for name in files:
            os.chmod(os.path.join(d, name), 0o644)
    web = f"{srv.https_url}/{os.path.basename(local)}"
    r = run("artifact", "--artifact-root", web, "get", "store://artifacts/web/a:prod", "-")
    assert r.code == 0 and r.out == b"served", r
    r = run("artifact", "--artifact-root", web, "list", "--json")
    assert [json.loads(x)["key"] for x in r.lines] == ["a"], r
    r = run("artifact", "--artifact-root", web, "log", f, "store://artifacts/web/a")
    assert r.code == 7, r


def test_a_lost_race_for_a_version_number_is_retried(tmp_path, monkeypatch):
    """A stale listing makes log try a taken number: the create-only write refuses, it retries."""
    from dsctl.artifacts import history

    monkeypatch.setenv("DSCTL_ARTIFACT_ROOT", str(tmp_path / "root"))
    f = tmp_path / "a.txt"
    f.write_bytes(b"one")
    _log(f, "store://artifacts/p/k")
    real, calls = history.History.versions, []

    def stale_once(self):
        calls.append(1)
        return [] if len(calls) == 2 else real(self)   # 1st: latest check; 2nd: the first claim

    monkeypatch.setattr(history.History, "versions", stale_once)
    f.write_bytes(b"two")
    r = _log(f, "store://artifacts/p/k")
    assert _uri(r).startswith("store://artifacts/p/k#2@") and len(calls) >= 3
    monkeypatch.setattr(history.History, "versions", real)
    r = run("artifact", "get", "store://artifacts/p/k#1", "-")
    assert r.out == b"one", r


def test_log_from_a_store_url_source(root, tmp_path):
    """SRC may be any URL: a prefix or a CSV on the same store as the root, read remotely."""
    root.store.put_many({"incoming/run/a.txt": b"alpha", "incoming/run/deep/b.txt": b"beta",
                         "incoming/t.csv": b"x,y\n1,a\n2,b\n"})
    uri = _uri(_log(root.store.url("incoming/run"), "store://artifacts/remote/run"))
    r = run("artifact", "get", uri, tmp_path / "got")
    assert r.code == 0 and (tmp_path / "got" / "deep" / "b.txt").read_bytes() == b"beta", r
    r = run("--json", "artifact", "log", root.store.url("incoming/t.csv"), "store://datasets/remote/t")
    assert r.code == 0, r
    rec = json.loads(r.lines[-1])["record"]
    assert rec["dataset"]["rows"] == 2 and rec["origin"].endswith("incoming/t.csv")


def test_a_root_inside_the_logged_directory_is_left_out(root, tmp_path):
    """Logging a directory that holds the artifact root (a project logging `.` with its
    root in it) stores the directory's own files only: before, the root's blobs and
    version records were taken in, and every later log of the same directory found
    them changed and stored a bigger version."""
    data = {"data.txt": b"rows", "sub/x.txt": b"x"}
    if root.name == "local":
        src = os.path.dirname(root.url)   # .../dsctl, which holds the default root `artifacts`
        for rel, b in data.items():
            os.makedirs(os.path.dirname(os.path.join(src, rel)), exist_ok=True)
            with open(os.path.join(src, rel), "wb") as f:
                f.write(b)
    else:
        src = root.store.url()            # the prefix that holds `arts/`
        root.store.put_many(data)
    r = _log(src, "store://artifacts/p/k")
    assert "(2 files," in r.err, r
    r = _log(src, "store://artifacts/p/k")
    assert "unchanged" in r.err and _uri(r).startswith("store://artifacts/p/k#1@"), r
    r = run("artifact", "get", "store://artifacts/p/k", tmp_path / "out/")
    assert r.code == 0, r
    got = {str(p.relative_to(tmp_path / "out")).replace(os.sep, "/"): p.read_bytes()
           for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert sorted(got.values()) == sorted(data.values()), got   # the two files, nothing of the root
    assert all(any(k.endswith(rel) for k in got) for rel in data), got
    r = run("artifact", "log", root.url, "store://artifacts/p/all")
    assert r.code == 2 and "only the artifact root" in r.err, r
