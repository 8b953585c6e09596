"""A scheme dsctl has no backend entry for goes to fsspec as it is: ftp:// on a real server."""

from __future__ import annotations

from .cli import run


def test_ftp_passthrough_roundtrip(ftp_server, tmp_path):
    (ftp_server.root / "in").mkdir()
    (ftp_server.root / "in" / "a.txt").write_bytes(b"over ftp")
    r = run("ls", f"{ftp_server.url}/in/")
    assert r.code == 0 and r.lines == ["a.txt"], r
    r = run("cat", f"{ftp_server.url}/in/a.txt")
    assert r.code == 0 and r.out == b"over ftp", r
    (tmp_path / "up.bin").write_bytes(b"\x00\x01" * 5000)
    r = run("cp", tmp_path / "up.bin", f"{ftp_server.url}/in/up.bin")
    assert r.code == 0, r
    assert (ftp_server.root / "in" / "up.bin").read_bytes() == b"\x00\x01" * 5000
    r = run("cp", "-r", f"{ftp_server.url}/in/", f"{tmp_path}/down/")
    assert r.code == 0 and (tmp_path / "down" / "a.txt").read_bytes() == b"over ftp", r


def test_ftp_wrong_password_is_4_and_not_printed(ftp_server):
    url = f"ftp://{ftp_server.user}:wrong-ftp-password@{ftp_server.host}:{ftp_server.port}/"
    r = run("--debug", "ls", url)
    assert r.code == 4, r
    assert "wrong-ftp-password" not in r.err + r.text
