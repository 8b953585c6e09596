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
