"""The same behaviour, asserted against every backend on its real server."""

from __future__ import annotations

import json
import os

from .cli import run


def _files(root) -> dict[str, bytes]:
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            out[os.path.relpath(p, root).replace(os.sep, "/")] = open(p, "rb").read()
    return out


SEED = {"a.txt": b"alpha\n", "b.csv": b"x,y\n1,2\n", "sub/c.txt": b"gamma\n", "sub/deeper/d.txt": b"delta"}


def test_ls_names_sizes_and_json(store):
    store.put_many(SEED)
    r = run("ls", store.url())
    assert r.code == 0, r
    assert r.lines == ["a.txt", "b.csv", "sub/"]
    r = run("ls", "-r", store.url())
    assert r.code == 0, r
    assert r.lines == ["a.txt", "b.csv", "sub/c.txt", "sub/deeper/d.txt"]
    r = run("ls", "-l", store.url("a.txt"))
    assert r.code == 0 and r.lines[0].split()[0] == "6" and r.lines[0].endswith("a.txt"), r
    r = run("--json", "ls", "-r", store.url("sub"))
    entries = [json.loads(line) for line in r.lines]
    assert [(e["name"], e["size"], e["type"]) for e in entries] == [
        ("c.txt", 6, "file"), ("deeper/d.txt", 5, "file")]


def test_cat_and_stat(store):
    store.put("dir/f.bin", bytes(range(256)) * 10)
    r = run("cat", store.url("dir/f.bin"))
    assert r.code == 0 and r.out == bytes(range(256)) * 10, r
    r = run("--json", "stat", store.url("dir/f.bin"))
    assert r.code == 0, r
    meta = json.loads(r.out)
    assert meta["type"] == "file" and meta["size"] == 2560
    # the object's own metadata and its listing entry tell the same time
    r = run("--json", "ls", store.url("dir/"))
    (listed,) = [json.loads(line) for line in r.lines]
    assert meta.get("modified") == listed.get("modified"), (meta, listed)


def test_upload_then_download_roundtrip(wstore, tmp_path):
    src = tmp_path / "up"
    (src / "nested").mkdir(parents=True)
    (src / "one.txt").write_bytes(b"1" * 100)
    (src / "nested" / "two.bin").write_bytes(os.urandom(70_000))
    r = run("upload", src, wstore.url("in/"))
    assert r.code == 0, r
    assert wstore.keys() == {"in/up/one.txt", "in/up/nested/two.bin"}
    assert wstore.get("in/up/nested/two.bin") == (src / "nested" / "two.bin").read_bytes()
    r = run("download", wstore.url("in/up"), tmp_path / "down")
    assert r.code == 0, r
    assert _files(tmp_path / "down") == {"up/one.txt": b"1" * 100,
                                         "up/nested/two.bin": (src / "nested" / "two.bin").read_bytes()}


def test_directory_semantics_trailing_slash(wstore):
    wstore.put_many({"src/a.txt": b"A", "src/s/b.txt": b"B"})
    assert run("cp", "-r", wstore.url("src/"), wstore.url("contents/")).code == 0
    assert run("cp", "-r", wstore.url("src"), wstore.url("into/")).code == 0
    assert run("cp", "-r", wstore.url("src"), wstore.url("renamed")).code == 0
    assert run("cp", wstore.url("src/a.txt"), wstore.url("filedir/")).code == 0
    assert run("cp", wstore.url("src/a.txt"), wstore.url("newname.txt")).code == 0
    keys = wstore.keys() - {"src/a.txt", "src/s/b.txt"}
    assert keys == {"contents/a.txt", "contents/s/b.txt", "into/src/a.txt", "into/src/s/b.txt",
                    "renamed/a.txt", "renamed/s/b.txt", "filedir/a.txt", "newname.txt"}
    assert wstore.get("into/src/s/b.txt") == b"B"


def test_a_copy_or_sync_into_itself_is_refused_and_changes_nothing(wstore):
    """A directory copied below itself would list its own copies as they appear and copy
    them again (an S3 or Azure listing streams: it did not end); a sync of overlapping
    directories with --delete would delete source files as "extra". Both are usage
    errors (exit 2) before any byte moves, as with cp and rclone."""
    seed = {"d/a.txt": b"A", "d/s/b.txt": b"B", "d/z.txt": b"Z"}
    wstore.put_many(seed)
    for args in (["cp", "-r", wstore.url("d/"), wstore.url("d/backup/")],
                 ["cp", "-r", wstore.url("d"), wstore.url("d/")],
                 ["cp", "-r", wstore.url("d/*"), wstore.url("d/s/")],     # a glob's directory
                 ["cp", "-r", wstore.url("d/a.txt"), wstore.url("d/"), wstore.url("d/s/")],
                 ["sync", wstore.url("d/"), wstore.url("d/s/")],
                 ["sync", "--delete", wstore.url("d/s/"), wstore.url("d/")]):
        r = run(*args)
        assert r.code == 2, (args, r)
        assert "into itself" in r.err or "overlapping" in r.err, (args, r)
        assert "Traceback" not in r.err
        assert wstore.keys() == set(seed), args
    r = run("cp", wstore.url("d/a.txt"), wstore.url("d/"))   # onto itself
    assert r.code == 2 and "same file" in r.err, r
    assert r.err.count("\n") == 1, r   # refused before anything moved: one line, no summary
    assert {k: wstore.get(k) for k in seed} == seed
    # a sibling whose name starts like the source is not inside it
    r = run("cp", "-r", wstore.url("d/"), wstore.url("d2/"))
    assert r.code == 0, r
    assert wstore.get("d2/s/b.txt") == b"B"
    # ... nor is a place an --exclude drops whole (as in rclone); twice, so the second run
    # lists the first one's copies and must leave them out
    for _ in range(2):
        r = run("cp", "-r", wstore.url("d/"), wstore.url("d/backup/"), "--exclude", "backup/**")
        assert r.code == 0, r
    assert wstore.keys() == set(seed) | {f"d2/{k[2:]}" for k in seed} | {"d/backup/a.txt",
                                                                        "d/backup/s/b.txt",
                                                                        "d/backup/z.txt"}
    r = run("cp", "-r", wstore.url("d/"), wstore.url("d/b2/"), "--exclude", "b2/*")  # one level only
    assert r.code == 2 and "into itself" in r.err, r


def test_downloaded_files_get_the_usual_mode(store, tmp_path):
    """A downloaded file is created 0666 less the umask, as by cp, curl, rclone and the
    AWS CLI: it used to be 0600 on every path (the temporary file's mode), so a file
    fetched for a web server or a teammate was unreadable to them."""
    import stat

    store.put_many({"m/small.txt": b"s", "m/part.bin": os.urandom(9 * 1024 * 1024 + 5)})
    old = os.umask(0o027)
    try:
        r = run("cp", "-r", store.url("m/"), tmp_path / "out/")
        r2 = run("cp", "-", tmp_path / "piped.txt", input=b"from stdin")
    finally:
        os.umask(old)
    assert r.code == 0 and r2.code == 0, (r, r2)
    for p in (tmp_path / "out" / "small.txt", tmp_path / "out" / "part.bin", tmp_path / "piped.txt"):
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o640, p


def test_a_file_in_the_way_of_the_destination_is_named(store, tmp_path):
    """`cp -r src/ existing-file` names the file in the way, not the temporary name
    dsctl tried to create below it, and leaves the file as it was."""
    store.put("d/x.txt", b"x")
    (tmp_path / "afile").write_bytes(b"keep")
    for dst in (tmp_path / "afile", tmp_path / "afile" / "deeper" / "dir"):
        r = run("cp", "-r", store.url("d/"), f"{dst}/")
        assert r.code == 2, r
        assert f"{tmp_path / 'afile'} is a file, not a directory" in r.err, r
        assert ".dsctl-part" not in r.err, r
    assert (tmp_path / "afile").read_bytes() == b"keep"


def test_directory_without_recursive_is_usage_error(store, tmp_path):
    store.put("d/x.txt", b"x")
    r = run("cp", store.url("d/"), tmp_path / "out/")
    assert r.code == 2 and "use -r" in r.err, r
    assert not (tmp_path / "out").exists()


def test_globs(store, tmp_path):
    store.put_many({"g/a.txt": b"a", "g/b.txt": b"b", "g/c.csv": b"c", "g/sub/d.txt": b"d"})
    r = run("cp", store.url("g/*.txt"), tmp_path / "out")
    assert r.code == 0, r
    assert _files(tmp_path / "out") == {"a.txt": b"a", "b.txt": b"b"}
    r = run("ls", store.url("g/*.csv"))
    assert r.code == 0 and [line.rsplit("/", 1)[-1] for line in r.lines] == ["c.csv"], r
    r = run("cp", "-r", store.url("g/**/d.txt"), tmp_path / "deep/")
    assert r.code == 0, r
    assert _files(tmp_path / "deep") == {"sub/d.txt": b"d"}
    r = run("cp", store.url("g/*.nothing"), tmp_path / "none/")
    assert r.code == 3, r
    # `g/**` also names g/ itself: each file is copied once, to its place below g/
    r = run("-v", "cp", "-r", store.url("g/**"), tmp_path / "all/")
    assert r.code == 0 and r.err.count(" -> ") == 4, r
    assert _files(tmp_path / "all") == {"a.txt": b"a", "b.txt": b"b", "c.csv": b"c", "sub/d.txt": b"d"}
    # without -r a matched directory is said to be left out (GNU cp), not silently
    r = run("cp", store.url("g/*"), tmp_path / "top/")
    assert r.code == 1 and "is a directory; use -r" in r.err and store.url("g/sub") in r.err, r
    assert _files(tmp_path / "top") == {"a.txt": b"a", "b.txt": b"b", "c.csv": b"c"}
    r = run("cp", store.url("g/s*"), tmp_path / "dirs-only/")
    assert r.code == 2 and "use -r" in r.err, r


def test_include_exclude(store, tmp_path):
    store.put_many({"f/keep.csv": b"1", "f/drop.tmp": b"2", "f/s/keep2.csv": b"3", "f/s/x.txt": b"4"})
    r = run("cp", "-r", "--include", "*.csv", "--exclude", "s/keep2.csv", store.url("f/"), tmp_path / "o/")
    assert r.code == 0, r
    assert _files(tmp_path / "o") == {"keep.csv": b"1"}


def test_dry_run_writes_nothing(store, tmp_path):
    store.put_many({"dr/a": b"a", "dr/b": b"b"})
    r = run("cp", "-r", "--dry-run", store.url("dr/"), tmp_path / "o/")
    assert r.code == 0, r
    assert len([line for line in r.lines if line.startswith("would copy")]) == 2
    assert not (tmp_path / "o").exists()


def test_no_clobber_and_overwrite(wstore, tmp_path):
    wstore.put("nc/a.txt", b"old")
    src = tmp_path / "nc"
    src.mkdir()
    (src / "a.txt").write_bytes(b"new")
    (src / "b.txt").write_bytes(b"bee")
    r = run("upload", src, wstore.url())
    assert r.code == 0, r
    assert "skipped 1" in r.err and "--overwrite" in r.err
    assert wstore.get("nc/a.txt") == b"old" and wstore.get("nc/b.txt") == b"bee"
    r = run("cp", "-r", "--no-clobber", src, wstore.url("/"))
    assert r.code == 0 and wstore.get("nc/a.txt") == b"old", r
    r = run("upload", "--overwrite", src, wstore.url())
    assert r.code == 0 and wstore.get("nc/a.txt") == b"new", r


def test_large_object_roundtrip(wstore, tmp_path):
    data = os.urandom(21 * 1024 * 1024 + 123)  # several 8 MiB parts, ragged end
    (tmp_path / "big.bin").write_bytes(data)
    r = run("cp", tmp_path / "big.bin", wstore.url("big/big.bin"))
    assert r.code == 0, r
    assert wstore.get("big/big.bin") == data
    r = run("cp", wstore.url("big/big.bin"), tmp_path / "back.bin")
    assert r.code == 0, r
    assert (tmp_path / "back.bin").read_bytes() == data
    assert [p.name for p in tmp_path.iterdir() if "dsctl" in p.name] == []


def test_large_object_download(store, tmp_path):
    data = os.urandom(17 * 1024 * 1024)
    store.put("l/blob", data)
    r = run("download", store.url("l/blob"), tmp_path / "d")
    assert r.code == 0, r
    assert (tmp_path / "d" / "blob").read_bytes() == data


def test_empty_file(store, tmp_path):
    store.put("e/empty", b"")
    r = run("cp", store.url("e/empty"), tmp_path / "empty")
    assert r.code == 0 and (tmp_path / "empty").read_bytes() == b"", r
    r = run("cat", store.url("e/empty"))
    assert r.code == 0 and r.out == b"", r


def test_empty_file_upload(wstore, tmp_path):
    (tmp_path / "z").write_bytes(b"")
    r = run("cp", tmp_path / "z", wstore.url("z"))
    assert r.code == 0 and wstore.exists("z") and wstore.get("z") == b"", r


def test_unicode_and_spaces(store, tmp_path):
    name = "dir with space/naïve ☃ file.txt"
    store.put(name, "snow ☃".encode())
    r = run("ls", "-r", store.url("dir with space"))
    assert r.code == 0 and r.lines == ["naïve ☃ file.txt"], r
    r = run("cp", "-r", store.url("dir with space/"), tmp_path / "u/")
    assert r.code == 0, r
    assert (tmp_path / "u" / "naïve ☃ file.txt").read_bytes() == "snow ☃".encode()


def test_unicode_upload(wstore, tmp_path):
    (tmp_path / "ünï cödé.txt").write_bytes(b"u")
    r = run("cp", tmp_path / "ünï cödé.txt", wstore.url("x y/"))
    assert r.code == 0 and wstore.get("x y/ünï cödé.txt") == b"u", r


def test_many_keys_in_one_prefix(store, tmp_path):
    files = {f"many/k{i:05d}.txt": str(i).encode() for i in range(1503)}
    store.put_many(files)
    r = run("ls", "-r", store.url("many"))
    assert r.code == 0, r
    assert len(r.lines) == 1503 and r.lines[0] == "k00000.txt" and r.lines[-1] == "k01502.txt"
    r = run("cp", "-r", store.url("many/"), tmp_path / "m/")
    assert r.code == 0, r
    got = _files(tmp_path / "m")
    assert len(got) == 1503 and got["k01234.txt"] == b"1234"


def test_missing_source_is_not_found_and_leaves_nothing(store, tmp_path):
    store.put("present", b"p")
    for args in (("cp", store.url("absent.txt"), tmp_path / "dst.txt"),
                 ("ls", store.url("absent/")), ("cat", store.url("absent.txt")),
                 ("stat", store.url("absent.txt")), ("download", store.url("absent"), tmp_path / "dl"),
                 ("cp", "-r", store.url("absent/"), f"{tmp_path}/d/"), ("ls", "-r", store.url("absent/"))):
        r = run(*args)
        assert r.code == 3, (args, r)
        assert r.err.startswith("dsctl: error: ") and "Traceback" not in r.err, r
    assert sorted(os.listdir(tmp_path)) == ["store"] or sorted(os.listdir(tmp_path)) == []


def test_sibling_prefix_not_included(store, tmp_path):
    store.put_many({"dir/a": b"a", "dir2/b": b"b", "dirx": b"c"})
    r = run("ls", "-r", store.url("dir"))
    assert r.lines == ["a"], r
    r = run("cp", "-r", store.url("dir"), f"{tmp_path}/o/")
    assert r.code == 0 and _files(tmp_path / "o") == {"dir/a": b"a"}, r


def test_rm(wstore):
    wstore.put_many({"r/a": b"a", "r/s/b": b"b", "r/s/c": b"c", "keep": b"k"})
    r = run("rm", wstore.url("r/s"))
    assert r.code == 2 and "-r" in r.err, r
    r = run("rm", "-r", "--dry-run", wstore.url("r/s"))
    assert r.code == 0 and len(r.lines) == 2 and wstore.exists("r/s/b"), r
    r = run("rm", wstore.url("r/a"))
    assert r.code == 0 and not wstore.exists("r/a"), r
    r = run("rm", "-r", wstore.url("r/s"))
    assert r.code == 0, r
    assert wstore.keys() == {"keep"}
    r = run("rm", wstore.url("r/a"))
    assert r.code == 3, r


def test_rm_r_of_a_file_url_ending_in_a_slash_is_not_found(wstore):
    """`rm -r …/a.txt/` names a directory a.txt/, which does not exist: not found, as
    `ls` says (GNU rm: "Not a directory"). Local and memory removed the file a.txt; on gs
    the listing of `a.txt/` names the object a.txt, so rm exited 0 having removed nothing."""
    wstore.put_many({"t/a.txt": b"a"})
    for args in (["rm", "-r"], ["rm", "-r", "--dry-run"], ["rm"]):
        r = run(*args, wstore.url("t/a.txt/"))
        assert r.code == 3 and r.out == b"", (args, r)
    assert wstore.keys() == {"t/a.txt"}


def test_rm_of_a_glob_without_r_removes_the_files_and_names_each_directory(wstore):
    """GNU rm: `rm d/*` removes the files, says each directory needs -r, exits non-zero.
    dsctl refused the whole glob (nothing removed) when one match was a directory."""
    wstore.put_many({"g/a.txt": b"a", "g/b.txt": b"b", "g/s/c.txt": b"c", "g/t/d.txt": b"d"})
    r = run("--json", "rm", wstore.url("g/*"))
    assert r.code == 1, r
    assert wstore.keys() == {"g/s/c.txt", "g/t/d.txt"}
    events = [json.loads(line) for line in r.lines]
    assert events[-1] == {"event": "summary", "removed": 2, "failed": 2, "dry_run": False}, r
    assert sorted(e["url"] for e in events if e["event"] == "removed") == [
        wstore.url("g/a.txt"), wstore.url("g/b.txt")], r
    assert sorted(e["url"].rstrip("/") for e in events if e["event"] == "failed") == [
        wstore.url("g/s"), wstore.url("g/t")], r
    assert r.err.count("use -r to remove it") == 2 and "removed 2 files" in r.err, r
    # only directories match: a usage error, nothing removed - each still said, and with
    # --json as events and a summary
    r = run("--json", "rm", wstore.url("g/*"))
    assert r.code == 2 and "only directories" in r.err, r
    events = [json.loads(line) for line in r.lines]
    assert [e["event"] for e in events] == ["failed", "failed", "summary"], r
    assert wstore.keys() == {"g/s/c.txt", "g/t/d.txt"}


def test_a_name_with_wildcard_characters_that_exists_is_read_as_written(wstore, tmp_path):
    """`data[1].csv` matched nothing as a pattern, so cp/ls/rm said "no match" (exit 3)
    for a file cat and stat read fine; a pattern that matches nothing but names an
    existing path is that path, as an unmatched glob stays a word in the shell."""
    wstore.put_many({"lit/data[1].csv": b"one", "lit/d[x]/f.txt": b"in", "lit/keep": b"k"})
    r = run("cp", wstore.url("lit/data[1].csv"), tmp_path / "x.csv")
    assert r.code == 0 and (tmp_path / "x.csv").read_bytes() == b"one", r
    r = run("ls", wstore.url("lit/d[x]/"))
    assert r.code == 0 and r.lines == ["f.txt"], r
    r = run("cp", "-r", wstore.url("lit/d[x]"), f"{tmp_path}/out/")
    assert r.code == 0 and (tmp_path / "out" / "d[x]" / "f.txt").read_bytes() == b"in", r
    r = run("rm", wstore.url("lit/data[1].csv"))
    assert r.code == 0 and "removed 1 file" in r.err, r
    r = run("rm", "-r", wstore.url("lit/d[x]"))
    assert r.code == 0 and wstore.keys() == {"lit/keep"}, r
    # a pattern that names nothing either way is still "no match"
    r = run("cp", wstore.url("lit/data[1].csv"), tmp_path / "y.csv")
    assert r.code == 3 and "no match" in r.err and not (tmp_path / "y.csv").exists(), r


def test_json_with_the_data_on_stdout_keeps_stdout_for_the_data(store):
    """`--json cp URL -` appended its NDJSON events to the file's bytes on stdout."""
    store.put_many({"j/data.bin": b"\x00payload\n"})
    r = run("--json", "cp", store.url("j/data.bin"), "-")
    assert r.code == 0 and r.out == b"\x00payload\n", r
    events = [json.loads(line) for line in r.err.splitlines() if line.startswith("{")]
    assert [e["event"] for e in events] == ["copied", "summary"], r


def test_a_name_of_nearly_255_bytes_is_downloaded(store, tmp_path):
    """The temporary `.<name>.<random>.dsctl-part` of a 230-255 byte name went over the
    file system's 255-byte limit: "File name too long" for a name GNU cp copies."""
    name = "n" * 246 + ".bin"
    store.put_many({f"long/{name}": b"long"})
    r = run("cp", store.url(f"long/{name}"), f"{tmp_path}/out/")
    assert r.code == 0 and (tmp_path / "out" / name).read_bytes() == b"long", r
    assert os.listdir(tmp_path / "out") == [name]


def test_ls_of_a_file_url_ending_in_a_slash_is_not_found(store):
    """`ls …/a.txt/` names a directory a.txt/: S3 said not found; gs and az listed the file
    (exit 0), `ls -r` on gs and http printed nothing (exit 0), local and memory the file."""
    store.put_many({"t/a.txt": b"a", "t/d/x": b"x"})
    for args in (["ls"], ["ls", "-r"]):
        r = run(*args, store.url("t/a.txt/"))
        assert r.code == 3 and r.out == b"", (args, r)
    r = run("ls", store.url("t/d/"))
    assert r.code == 0 and r.lines == ["x"], r


def test_cat_stat_cp_of_a_file_url_ending_in_a_slash_is_not_found(store, tmp_path):
    """`a.txt/` names a directory: cat, stat and cp read the file a.txt (exit 0) on every
    store but http - the wrong object's bytes where `k` and `k/` both exist on S3."""
    store.put_many({"t/a.txt": b"a"})
    for args in (["cat"], ["stat"], ["cp"]):
        r = run(*args, store.url("t/a.txt/"), *([f"{tmp_path}/out/"] if args == ["cp"] else []))
        assert r.code == 3 and r.out == b"" and r.err.count("\n") == 1, (args, r)
    assert not (tmp_path / "out").exists()


def test_stdin_and_stdout(wstore):
    r = run("cp", "-", wstore.url("from-stdin.txt"), input=b"piped bytes")
    assert r.code == 0 and wstore.get("from-stdin.txt") == b"piped bytes", r
    r = run("cp", wstore.url("from-stdin.txt"), "-")
    assert r.code == 0 and r.out == b"piped bytes", r


def test_dot_copies_the_contents_of_the_current_directory(wstore, tmp_path, monkeypatch):
    """`cp -r . DST/` and `upload . DST/` copy what is in `.`, as GNU cp, aws s3 cp and
    rsync do; before, dsctl copied into DST/<name of the current directory>/."""
    here = tmp_path / "work" / "sub"
    (here / "deep").mkdir(parents=True)
    (here / "s.txt").write_bytes(b"s")
    (here / "deep" / "d.csv").write_bytes(b"d")
    monkeypatch.chdir(here / "deep")
    assert run("cp", "-r", ".", wstore.url("a/")).code == 0
    assert run("cp", "-r", "..", wstore.url("b/")).code == 0
    assert run("upload", ".", wstore.url("c/")).code == 0
    assert run("cp", "-r", str(here) + "/.", wstore.url("e/")).code == 0
    assert {k: wstore.get(k) for k in wstore.keys()} == {
        "a/d.csv": b"d", "b/s.txt": b"s", "b/deep/d.csv": b"d", "c/d.csv": b"d",
        "e/s.txt": b"s", "e/deep/d.csv": b"d"}


def test_several_sources_a_directory_without_r_and_a_repeated_name_fail_alone(wstore, tmp_path):
    """`cp a.txt sub b.csv DST/` ended with exit 2 after a.txt was copied (b.csv never);
    `cp a/x b/x DST/` reported both copied, one lost in a race. GNU cp: each said, the
    rest copied, exit 1."""
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a").mkdir()
    (src / "a.txt").write_bytes(b"A")
    (src / "b.csv").write_bytes(b"B")
    (src / "a" / "b.csv").write_bytes(b"other")
    (src / "sub" / "c").write_bytes(b"C")
    r = run("cp", src / "a.txt", src / "sub", src / "b.csv", src / "a" / "b.csv", wstore.url("m/"))
    assert r.code == 1, r
    assert "use -r" in r.err and "will not overwrite just-created" in r.err, r
    assert wstore.get("m/a.txt") == b"A" and wstore.get("m/b.csv") == b"B", r
    assert not wstore.exists("m/sub/c") and not wstore.exists("m/sub")
