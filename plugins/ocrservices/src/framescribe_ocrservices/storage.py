"""Putting the image into the bucket the OCR service reads from (boto3, imported on first use).

Keys are ``ocr/{user_id}/{name}-{sha256[:16]}.{ext}``: the content hash means two
different images never share a key, and the same image is not uploaded twice
(an object already under its key is reused).
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import Any

from framescribe import BackendError, BackendUnavailable, MissingDependency
from framescribe.http import redact

from .settings import OcrServicesSettings

log = logging.getLogger("framescribe.ocrservices")
# botocore at DEBUG prints signed request headers (with the access key id) for
# every call; -vv is for framescribe's own story, so keep it quieter unless the
# user configured those loggers themselves.
for _name in ("botocore", "boto3", "s3transfer"):
    if logging.getLogger(_name).level == logging.NOTSET:
        logging.getLogger(_name).setLevel(logging.WARNING)


def object_key(user_id: str, image: Path, digest: str, ext: str) -> str:
    """``ocr/{user_id}/{safe stem}-{hash}.{ext}``; ``ext`` comes from the file's content, not its name."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", image.stem).strip("-._")[:60] or "image"
    return f"ocr/{user_id}/{stem}-{digest[:16]}.{ext}"


def _secrets(settings: OcrServicesSettings) -> list[str | None]:
    return [s.get_secret_value() if s else None for s in (settings.aws_access_key_id, settings.aws_secret_access_key)]


_clients: dict[OcrServicesSettings, Any] = {}
_clients_lock = threading.Lock()


def s3_client(settings: OcrServicesSettings) -> Any:
    """One boto3 client per settings (building one costs ~0.1 s); boto3 clients are thread-safe."""
    with _clients_lock:
        if settings not in _clients:
            _clients[settings] = _new_client(settings)
        return _clients[settings]


def _new_client(settings: OcrServicesSettings) -> Any:
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise MissingDependency("boto3 is not installed", hint="pip install framescribe-ocrservices") from None
    key_id, key = _secrets(settings)
    # botocore retries connection errors and throttling itself; keep that short so a
    # dead endpoint becomes "unavailable" (and the chain falls back) within seconds.
    # botocore's timeouts are per socket read, not totals: the timeout setting caps each of them.
    config = Config(connect_timeout=min(5.0, settings.timeout), read_timeout=min(60.0, settings.timeout),
                    retries={"max_attempts": 2, "mode": "standard"})
    return boto3.session.Session().client(
        "s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.region,
        aws_access_key_id=key_id, aws_secret_access_key=key, config=config,
    )


def upload(settings: OcrServicesSettings, image: Path, key: str, content_type: str) -> bool:
    """Put ``image`` under ``key`` unless it is already there; True when it was uploaded."""
    client = s3_client(settings)
    try:
        if _exists(client, settings.bucket, key):
            log.info("ocrservices: s3://%s/%s already holds this image; not uploading again", settings.bucket, key)
            return False
        with image.open("rb") as fh:
            client.put_object(Bucket=settings.bucket, Key=key, Body=fh, ContentType=content_type)
        log.info("ocrservices: uploaded %s to s3://%s/%s", image.name, settings.bucket, key)
        return True
    except Exception as exc:
        raise s3_error(exc, settings, f"upload of {image.name} to s3://{settings.bucket}/{key}") from None


def _exists(client: Any, bucket: str | None, key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        client.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def s3_error(exc: Exception, settings: OcrServicesSettings, what: str) -> Exception:
    """A framescribe error for a boto3 failure: endpoint trouble falls back, a wrong setup stops."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError

    text = redact(f"{type(exc).__name__}: {exc}", _secrets(settings))
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return BackendUnavailable(
            f"ocrservices: no AWS credentials for the {what}",
            hint="set aws_access_key_id/aws_secret_access_key in [backends.ocrservices], AWS_ACCESS_KEY_ID/"
                 "AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws",
        )
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if status >= 500 or code in ("SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout"):
            return BackendUnavailable(f"ocrservices: S3 could not serve the {what} ({text})")
        if code == "NoSuchBucket":
            return BackendError(f"ocrservices: bucket {settings.bucket!r} does not exist ({what})",
                                hint="check bucket and s3_endpoint_url in [backends.ocrservices]")
        if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403"):
            return BackendError(f"ocrservices: S3 refused the {what} ({text})", hint="check the AWS credentials and bucket policy")
        return BackendError(f"ocrservices: S3 failed the {what} ({text})")
    if isinstance(exc, BotoCoreError):  # endpoint down, timeouts, DNS: nothing was stored, try elsewhere
        return BackendUnavailable(f"ocrservices: S3 endpoint unreachable for the {what} ({text})")
    if isinstance(exc, OSError):
        return BackendError(f"ocrservices: could not read the image for the {what} ({text})")
    return BackendError(f"ocrservices: the {what} failed ({text})")
