"""Credential-looking text is scrubbed from every message that leaves dsctl."""

from dsctl import redact


def test_patterns_are_masked():
    cases = {
        "GET https://acct.blob.core.windows.net/c/b?sv=2021&sig=AbC%2Bdef123&se=2030": "AbC%2Bdef123",
        "https://b.s3.amazonaws.com/k?X-Amz-Signature=deadbeefcafe&X-Amz-Credential=AKIAXX/2020": "deadbeefcafe",
        "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0a2V5PT0=;": "c2VjcmV0a2V5PT0=",
        "headers: {'Authorization': 'Bearer eyJhbGciOi.payload.sig'}": "eyJhbGciOi.payload.sig",
        "Authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=abcdef0123": "abcdef0123",
        "https://user:hunter2pass@example.org/path": "hunter2pass",
        "password=p4ssw0rd-long&x=1": "p4ssw0rd-long",
    }
    for text, secret in cases.items():
        out = redact.scrub(text)
        assert secret not in out, (text, out)
        assert "****" in out


def test_registered_values_are_masked_anywhere():
    redact.register("an-exact-secret-value")
    assert redact.scrub("error near an-exact-secret-value!") == "error near ****!"
    redact.register(None, "", "abc")  # empty and very short values are ignored
    assert redact.scrub("abc") == "abc"


def test_an_s3_target_never_shows_its_secret_or_token():
    from dsctl.storage.s3client import S3Target

    t = S3Target("http://127.0.0.1:1", "us-east-1", "AKIDPUBLIC", "wJalr-secret-key", "session-tok")
    for text in (repr(t), str(t), f"{[t]}"):
        assert "wJalr-secret-key" not in text and "session-tok" not in text, text
        assert "AKIDPUBLIC" in text and "****" in text, text


def test_a_masked_value_keeps_the_delimiters_around_it():
    cases = {
        "dsctl: error: access denied: Unable to locate credentials (s3://bench/explore-a/x?secret=XAPASS4)":
            "dsctl: error: access denied: Unable to locate credentials (s3://bench/explore-a/x?secret=****)",
        "dsctl: error: not found (s3://b/k?X-Amz-Signature=deadbeefcafe)":
            "dsctl: error: not found (s3://b/k?X-Amz-Signature=****)",
        "(s3://b/k?X-Amz-Signature=deadbeefcafe&X-Amz-Credential=AKIAXX/2020) next":
            "(s3://b/k?X-Amz-Signature=****&X-Amz-Credential=****) next",
        "GET 'https://h/p?password=XAPASS4&x=1' failed": "GET 'https://h/p?password=****&x=1' failed",
        'url="https://h/p?secret=XAPASS4" code=403': 'url="https://h/p?secret=****" code=403',
        "[https://h/p?token=XAPASS4] {sig=AbC%2Bdef123}": "[https://h/p?token=****] {sig=****}",
        "AccountName=a;AccountKey=c2VjcmV0a2V5PT0=;BlobEndpoint=x": "AccountName=a;AccountKey=****;BlobEndpoint=x",
        # '&' and a ')' whose '(' is inside the value belong to a connection-string password
        "Server=x;Password=p&ss(w)ord);Db=y": "Server=x;Password=****;Db=y",
    }
    for text, want in cases.items():
        assert redact.scrub(text) == want, text


def test_error_line_of_a_url_with_a_secret_keeps_its_parenthesis(s3_server):
    from .cli import run_proc

    env = {"AWS_ACCESS_KEY_ID": s3_server.admin_key, "AWS_SECRET_ACCESS_KEY": s3_server.admin_secret,
           "AWS_ENDPOINT_URL": s3_server.endpoint_url}
    for param in ("secret", "X-Amz-Signature"):
        r = run_proc("ls", f"s3://no-such-bucket-redact/x?{param}=XAPASS4", env=env)
        assert r.code == 3 and "XAPASS4" not in r.err + r.text, r
        lines = r.err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("dsctl: error: "), r
        assert lines[0].endswith(f" (s3://no-such-bucket-redact/x?{param}=****)"), r


def test_ls_and_stat_of_a_url_with_a_password_never_print_it(http_server):
    """`ls --json`, `ls` of a glob and `stat` printed http://alice:wonderland@… in clear
    (transfer events and errors already masked it)."""
    from .cli import run

    (http_server.root / "private" / "p.txt").write_bytes(b"p")
    host = http_server.http_url.split("://", 1)[1]
    base = f"http://{http_server.user}:{http_server.password}@{host}/private/"
    for args in (["--json", "ls", base], ["ls", base + "p*.txt"], ["stat", base + "p.txt"],
                 ["--json", "stat", base + "p.txt"]):
        r = run(*args)
        assert r.code == 0 and b"p.txt" in r.out, (args, r)
        assert http_server.password.encode() not in r.out + r.err.encode(), (args, r)
