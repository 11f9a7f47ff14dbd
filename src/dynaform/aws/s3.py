"""S3 for DynamoDB's native export and import: a client on the same credentials as the
DynamoDB one, listing a prefix, and streaming an object to a file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from botocore.config import Config

from dynaform.aws.client import (
    LOCAL_ACCESS_KEY,
    LOCAL_SECRET_KEY,
    client_config,
    make_session,
    needs_placeholder_credentials,
)
from dynaform.errors import ConfigError
from dynaform.settings import Settings

S3Client = Any  # botocore builds client classes at run time
CHUNK = 1 << 20


def s3_client(settings: Settings, endpoint_url: str | None = None) -> S3Client:
    """An S3 client. A custom DynamoDB endpoint (a local emulator) serves S3 too, unless
    AWS_ENDPOINT_URL_S3 names another; such endpoints want path-style addresses."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or endpoint_url or settings.endpoint_url
    config = client_config(read_timeout=60.0)
    if endpoint:
        config = config.merge(Config(s3={"addressing_style": "path"}))
    kwargs: dict[str, Any] = {
        "region_name": settings.region,
        "endpoint_url": endpoint,
        "config": config,
    }
    if needs_placeholder_credentials(settings, endpoint):
        kwargs["aws_access_key_id"] = LOCAL_ACCESS_KEY
        kwargs["aws_secret_access_key"] = LOCAL_SECRET_KEY
    try:
        return make_session(settings).create_client("s3", **kwargs)
    except ValueError as exc:
        raise ConfigError(f"cannot build an S3 client: {exc}") from exc


def list_keys(s3: S3Client, bucket: str, prefix: str) -> Iterator[tuple[str, int]]:
    """(key, size) of every object under ``prefix``, in S3's order."""
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            yield str(entry["Key"]), int(entry["Size"])


def read_object(s3: S3Client, bucket: str, key: str) -> bytes:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        return bytes(body.read())
    finally:
        body.close()


def download(s3: S3Client, bucket: str, key: str, target: Path) -> int:
    """The object into ``target`` (whole or not at all: a temporary name, then renamed)."""
    tmp = target.with_name(target.name + ".downloading")
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    size = 0
    try:
        with tmp.open("wb") as out:
            while chunk := body.read(CHUNK):
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
    finally:
        body.close()
    tmp.replace(target)
    return size


def stream_object(s3: S3Client, bucket: str, key: str) -> Any:
    """The object's body, a file-like object to read (close it)."""
    return s3.get_object(Bucket=bucket, Key=key)["Body"]
