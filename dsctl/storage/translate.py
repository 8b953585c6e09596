"""The storage error boundary: backend exceptions in, typed dsctl errors out.

Backends raise a zoo of exceptions (OSError subclasses from fsspec, botocore
ClientError codes, azure HttpResponseError, aiohttp and gcsfs HTTP errors).
`translate` looks at the whole exception chain, by class name and status code
so that no SDK has to be imported here, and returns one typed error with a
short, scrubbed, one-line reason.
"""

from __future__ import annotations

import errno as _errno
import re
from typing import Iterator

from .. import errors as E
from ..redact import scrub

_DENIED_CODES = {"AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidToken",
                 "ExpiredToken", "AuthorizationFailure", "AuthenticationFailed",
                 "AuthorizationPermissionMismatch", "InvalidSecurity", "AllAccessDisabled",
                 "InsufficientAccountPermissions", "NoCredentialsError", "PartialCredentialsError"}
_NOT_FOUND_CODES = {"NoSuchBucket", "NoSuchKey", "NotFound", "404", "ContainerNotFound",
                    "BlobNotFound", "ResourceNotFound", "NoSuchUpload"}
_TRANSIENT_NAMES = {"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError",
                    "ConnectionClosedError", "ClientConnectorError", "ServerDisconnectedError",
                    "ServiceRequestError", "ServiceResponseError", "ClientPayloadError",
                    "ServerTimeoutError", "TimeoutError", "ConnectionError", "IncompleteRead",
                    "ClientOSError"}
# names the service refuses as malformed (Azure: a container name too short, upper-case)
_BAD_NAME_CODES = {"InvalidResourceName", "OutOfRangeInput", "InvalidUri", "InvalidBucketName"}
_DENIED_NAMES = {"ClientAuthenticationError", "NoCredentialsError", "PartialCredentialsError",
                 "CredentialRetrievalError", "DefaultCredentialsError", "RefreshError",
                 "CredentialUnavailableError"}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


_OBSTORE_STATUS = re.compile(r"status code: (\d{3})")
_XML_CODE = re.compile(r"<Code>\s*([A-Za-z0-9.]+)\s*</Code>")
_BULK_CODE = re.compile(r"\(code: ([A-Za-z0-9.]+)\)")   # a per-key DeleteObjects refusal
_BULK_MESSAGE = re.compile(r"failed for key .*?: ([^\n]+?)\s*\(code: ")
_XML_MESSAGE = re.compile(r"<Message>\s*([^<\n]+)")
_OBSTORE_TRANSIENT = ("error sending request", "connection", "timed out", "timeout", "broken pipe",
                      "reset by peer", "incomplete")


def _from_obstore(exc: BaseException) -> bool:
    """obstore errors: its own classes, or builtins (FileNotFoundError) it raised."""
    mod = type(exc).__module__ or ""
    if mod.startswith("obstore"):
        return True
    # its writer reports through std::io::Error (OSError), its NotFound is FileNotFoundError
    return (isinstance(exc, OSError) and exc.errno is None and not exc.filename
            and ("Error performing" in str(exc) or " error: " in str(exc)[:40]))


def _obstore_status(exc: BaseException) -> int | None:
    m = _OBSTORE_STATUS.search(str(exc))
    return int(m.group(1)) if m else None


def _status(exc: BaseException) -> int | None:
    if _from_obstore(exc):
        return _obstore_status(exc)
    for attr in ("status_code", "status", "code"):
        v = getattr(exc, attr, None)
        if isinstance(v, int) and 100 <= v < 600:
            return v
    resp = getattr(exc, "response", None)
    if isinstance(resp, dict):
        v = resp.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if isinstance(v, int):
            return v
    return None


def _code(exc: BaseException) -> str | None:
    if _from_obstore(exc):
        m = _XML_CODE.search(str(exc)) or _BULK_CODE.search(str(exc))
        return m.group(1) if m else None
    resp = getattr(exc, "response", None)
    if isinstance(resp, dict):
        return resp.get("Error", {}).get("Code")
    return getattr(exc, "error_code", None)


def _obstore_reason(exc: BaseException) -> str:
    text = str(exc)
    code, status = _code(exc), _obstore_status(exc)
    if code or status:
        m = _XML_MESSAGE.search(text) or _BULK_MESSAGE.search(text)
        head = code or f"HTTP {status}"
        return f"{head}: {m.group(1).strip()}" if m else head
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first.rsplit(" - ", 1)[-1].strip() or first


def reason(exc: BaseException) -> str:
    """A short one-line, scrubbed description of an exception."""
    if _from_obstore(exc):
        line = scrub(_obstore_reason(exc))
        return line if len(line) <= 200 else line[:197] + "..."
    tls = next((e for e in _chain(exc) if any("SSL" in c.__name__ or "Certificate" in c.__name__
                                              for c in type(e).__mro__)), None)
    if tls is not None and tls is not exc:
        # fsspec's http says only FileNotFoundError(<url>) for a certificate it cannot
        # verify: the TLS error is the reason (SSL_CERT_FILE, the server's CA)
        return "TLS: " + reason(tls)
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror and not exc.filename:
        text = exc.strerror
    line = text.splitlines()[0] if text else ""
    line = scrub(line)
    return line if len(line) <= 200 else line[:197] + "..."


def _classify_one(e: BaseException) -> type[E.DsctlError] | None:
    name, code, status = type(e).__name__, _code(e), _status(e)
    names = {c.__name__ for c in type(e).__mro__}
    if code in _DENIED_CODES or names & _DENIED_NAMES or status in (401, 403):
        return E.AccessDenied
    if code in _NOT_FOUND_CODES or name in ("ResourceNotFoundError",) or status in (404, 410):
        return E.NotFound
    if code in _BAD_NAME_CODES:
        return E.UsageError
    if name == "ProfileNotFound":   # botocore: AWS_PROFILE / aws_profile names no profile
        return E.NotFound
    if name == "ValueError" and "connection string" in str(e).lower():   # azure's parser
        return E.UsageError
    if isinstance(e, OSError) and e.errno == _errno.ENAMETOOLONG:
        return E.UsageError
    if status is not None and (status >= 500 or status in (408, 429)):
        return E.TransientError
    if code == "InvalidRange" or status == 416:   # the object is shorter than its size said
        return E.IntegrityError
    if name in ("error_perm", "error_temp"):  # ftplib: the reply code says what happened
        reply = str(e)[:3]
        return {"530": E.AccessDenied, "550": E.NotFound}.get(reply, E.TransientError
                                                                if name == "error_temp" else None)
    if _from_obstore(e):
        if name in ("PermissionDeniedError", "UnauthenticatedError"):
            return E.AccessDenied
        if name in ("NotSupportedError",):
            return E.Unsupported
        low = str(e).lower()
        if any(t in low for t in _OBSTORE_TRANSIENT):
            return E.TransientError
    if "SSLError" in names:  # ssl.SSLError and subclasses, by name: importing ssl costs ~10 ms
        return E.TransientError  # TLS failure: a network problem, not a missing object
    if names & _TRANSIENT_NAMES or isinstance(e, (ConnectionError, TimeoutError)):
        return E.TransientError
    if isinstance(e, OSError) and e.errno in (_errno.ECONNREFUSED, _errno.ETIMEDOUT, _errno.EHOSTUNREACH,
                                               _errno.ENETUNREACH, _errno.ECONNRESET):
        return E.TransientError
    if isinstance(e, FileNotFoundError):
        return E.NotFound
    if isinstance(e, PermissionError):
        return E.AccessDenied
    if isinstance(e, NotImplementedError):
        return E.Unsupported
    if isinstance(e, (IsADirectoryError, NotADirectoryError)):
        return E.UsageError
    return None


def classify(exc: BaseException) -> type[E.DsctlError]:
    """The dsctl error class that best describes a backend exception.

    The root cause decides: backends wrap it (fsspec's http raises
    FileNotFoundError *from* a 401 or a refused connection), so the chain is
    read from the deepest cause outwards."""
    chain = list(_chain(exc))
    if isinstance(chain[0], E.DsctlError):
        return type(chain[0])
    for e in reversed(chain):
        if isinstance(e, E.DsctlError):
            return type(e)
        found = _classify_one(e)
        if found is not None:
            return found
    return E.ItemError


_PREFIX = {E.NotFound: "not found", E.AccessDenied: "access denied", E.TransientError: "transient failure",
           E.Unsupported: "unsupported", E.UsageError: "invalid target", E.IntegrityError: "size mismatch"}


def _gcs_upload_404(exc: BaseException) -> bool:
    """gcsfs says only FileNotFoundError(<request url>); an upload (which needs no
    object to exist) can only be "not found" for want of its bucket."""
    return any(isinstance(e, FileNotFoundError) and "/upload/storage/v1/b/" in str(e)
               for e in _chain(exc))


def translate(exc: BaseException, url: str | None) -> E.DsctlError:
    """Turn any exception into a typed DsctlError about `url`."""
    if isinstance(exc, E.DsctlError):
        if exc.url is None:
            exc.url = url
        return exc
    cls = classify(exc)
    why = reason(exc)
    prefix = _PREFIX.get(cls)
    if cls is E.NotFound:
        codes = {_code(e) for e in _chain(exc)}
        if codes & {"NoSuchBucket", "ContainerNotFound"} or _gcs_upload_404(exc):
            cls, message = E.MissingBucket, "bucket or container not found"
        else:
            message = "not found"
    elif prefix:
        message = f"{prefix}: {why}"
    else:
        message = why
    err = cls(message, scrub(url) if url else url)
    return err


class translating:
    """`with translating(url):` re-raises any backend exception inside the block as a
    typed error (a DsctlError keeps its type and gains `url` if it had none).
    BaseExceptions that are not Exceptions (interrupts, exits, the engine's
    cancellation) pass through untouched.
    `url` may also be an Endpoint: its url() is then only worked out on an error.

    A class rather than a @contextmanager: it wraps every request of every file,
    and a generator-based manager costs several times more per use."""

    __slots__ = ("target",)

    def __init__(self, url):
        self.target = url

    @property
    def url(self) -> str | None:
        t = self.target
        return t if t is None or isinstance(t, str) else t.url()

    def __enter__(self) -> None:
        return None

    def __exit__(self, tp, exc, tb) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False
        if isinstance(exc, E.DsctlError):
            if exc.url is None:
                exc.url = self.url
            return False
        raise translate(exc, self.url) from exc
