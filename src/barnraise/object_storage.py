"""Uploaded files on an S3-compatible object store, configured by one URL per storage.

`MEDIA_STORAGE_URL` (public media: photos, their renditions, avatars, portfolio images) and
`PRIVATE_STORAGE_URL` (identity documents, licences, dispute evidence and the page images
rendered from their PDFs) each take

    s3://BUCKET[/PREFIX]?endpoint=URL&region=NAME&addressing_style=path|virtual&acl=ACL

read by `parse` when the settings load (a bad value is ImproperlyConfigured, naming the
variable) and turned into a `STORAGES` entry for django-storages' S3Storage by `storage_entry`.
Credentials come from the standard AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and
AWS_SESSION_TOKEN) environment variables, never from the URL. Unset, both stay on the local disk.

- Public media get plain, unsigned URLs under `public_base_url` (the store's own address of the
  bucket, or MEDIA_PUBLIC_URL: a CDN in front of it), with a year-long cache lifetime: their
  names are random and never rewritten.
- Private objects are written with the `private` ACL and reached only through a presigned URL
  of SIGNED_URL_SECONDS, issued by `barnraise.private_files` after the view's permission check.

This module reads no Django setting: the settings call it, and so do the storage's users.
"""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import Storage

S3_BACKEND = "storages.backends.s3.S3Storage"
# How long a presigned URL of a private file answers: long enough for the browser to follow the
# redirect (and a slow start of a download), short enough that a leaked URL is soon worthless.
SIGNED_URL_SECONDS = 60
# Canned ACLs S3 takes on upload; `acl` applies to the media storage only.
MEDIA_ACLS = ("public-read", "private", "bucket-owner-full-control")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^[A-Za-z0-9._/-]*$")
_KEYS = {"endpoint", "region", "addressing_style", "acl"}
_EXAMPLE = "s3://bucket?endpoint=https://s3.example.org&region=us-east-1"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class StoreURL:
    """One parsed `*_STORAGE_URL`."""

    bucket: str
    prefix: str  # a "directory" inside the bucket, without slashes at either end; "" for none
    endpoint: str  # the S3 API's base URL
    region: str
    addressing_style: str  # "path" (endpoint/bucket/key) or "virtual" (bucket.endpoint/key)
    acl: str | None  # the canned ACL new objects get; None leaves it to the bucket's policy


def parse(setting: str, raw: str, *, private: bool) -> StoreURL:
    """`raw`, the value of the variable `setting`, as a StoreURL; ImproperlyConfigured with a
    message naming the variable and what is wrong."""

    def bad(why: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(f"{setting}={raw!r} {why} (e.g. {_EXAMPLE}).")

    parts = urlsplit(raw.strip())
    if parts.scheme != "s3":
        raise bad("must be an s3:// URL")
    bucket = parts.netloc
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise bad("must name a bucket: 3 to 63 lower-case letters, digits, dots and dashes")
    prefix = parts.path.strip("/")
    if not _PREFIX.match(prefix) or "//" in prefix or ".." in prefix.split("/"):
        raise bad("has a prefix (the path after the bucket) with characters a key cannot safely take")
    try:
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError as exc:
        raise bad("has a query string that does not parse") from exc
    unknown = sorted(set(query) - _KEYS)
    if unknown:
        raise bad(f"has unknown parameters ({', '.join(unknown)}); it takes {', '.join(sorted(_KEYS))}")
    repeated = sorted(key for key, values in query.items() if len(values) > 1)
    if repeated:
        raise bad(f"gives {', '.join(repeated)} more than once")
    values = {key: items[0].strip() for key, items in query.items()}

    region = values.get("region") or "us-east-1"
    if not re.fullmatch(r"[a-z0-9-]{2,40}", region):
        raise bad("has a region that is not a region name")
    endpoint = values.get("endpoint", "").rstrip("/")
    if endpoint:
        point = urlsplit(endpoint)
        if point.scheme not in ("http", "https") or not point.hostname or point.path or point.query:
            raise bad("needs endpoint= as an absolute http(s) URL with no path")
        if point.scheme == "http" and point.hostname not in LOCAL_HOSTS:
            # The signature protects the request, not the bytes: a document would cross the
            # network in the clear.
            raise bad("must use an https endpoint unless it is on this machine")
    else:
        endpoint = f"https://s3.{region}.amazonaws.com"
    addressing_style = values.get("addressing_style") or ("path" if "endpoint" in values else "virtual")
    if addressing_style not in ("path", "virtual"):
        raise bad("takes addressing_style=path or addressing_style=virtual")
    acl = values.get("acl") or None
    if acl is not None and private:
        raise bad("takes no acl: private objects are always written with the private ACL")
    if acl is not None and acl not in MEDIA_ACLS:
        raise bad(f"takes acl= one of {', '.join(MEDIA_ACLS)}")
    return StoreURL(bucket, prefix, endpoint, region, addressing_style, "private" if private else acl)


def bucket_url(store: StoreURL) -> str:
    """The address of the bucket's root on the store, ending in a slash."""
    point = urlsplit(store.endpoint)
    if store.addressing_style == "virtual":
        return f"{point.scheme}://{store.bucket}.{point.netloc}/"
    return f"{store.endpoint}/{store.bucket}/"


def public_base_url(store: StoreURL, public_url: str) -> str:
    """Where the media bucket's root is read by browsers: MEDIA_PUBLIC_URL (a CDN) if set, else
    the bucket on the store. Ends in a slash."""
    return public_url.rstrip("/") + "/" if public_url else bucket_url(store)


def storage_entry(store: StoreURL, *, private: bool, public_url: str = "") -> dict[str, Any]:
    """The STORAGES entry for `store`: S3Storage with the options this module promises."""
    from botocore.config import Config

    options: dict[str, Any] = {
        "bucket_name": store.bucket,
        "location": store.prefix,
        "endpoint_url": store.endpoint,
        "region_name": store.region,
        "default_acl": store.acl,
        # Names are random (barnraise.images, barnraise.pdfs); should one ever repeat, the
        # storage picks another rather than replace a file some row still names.
        "file_overwrite": False,
        "client_config": Config(
            s3={"addressing_style": store.addressing_style},
            signature_version="s3v4",
            region_name=store.region,
            # A store that does not answer fails a request (and the readiness check) in seconds,
            # not after the default minute.
            connect_timeout=3,
            read_timeout=20,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    }
    if private:
        options |= {
            "querystring_auth": True,
            "querystring_expire": SIGNED_URL_SECONDS,
            "object_parameters": {"CacheControl": "private, no-store"},
        }
    else:
        base = urlsplit(public_base_url(store, public_url))
        options |= {
            "querystring_auth": False,
            # url() then builds the address from these alone, with no call to the store.
            "url_protocol": f"{base.scheme}:",
            "custom_domain": f"{base.netloc}{base.path}".rstrip("/"),
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        }
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}


def is_object_store(storage: Storage) -> bool:
    """Whether `storage` keeps its files on an S3-compatible store (not on this host)."""
    from storages.backends.s3 import S3Storage

    # A LazyObject (default_storage, the private storage) answers isinstance for what it wraps,
    # setting it up first if a change of STORAGES has just dropped it.
    return isinstance(storage, S3Storage)


def check_bucket(storage: Storage) -> None:
    """Raise unless the bucket of `storage` answers and these credentials may use it: one HEAD
    request (HeadBucket needs the right to list the bucket)."""
    target: Any = storage
    target.connection.meta.client.head_bucket(Bucket=target.bucket_name)


def signed_url(storage: Storage, name: str, *, content_type: str, disposition: str) -> str:
    """A presigned GET of `name` answering SIGNED_URL_SECONDS, which makes the store send the
    object with `content_type`, `disposition` and `Cache-Control: private, no-store`, whatever
    was stored with it."""
    target: Any = storage
    parameters = {
        "ResponseContentType": content_type,
        "ResponseContentDisposition": disposition,
        "ResponseCacheControl": "private, no-store",
    }
    url: str = target.url(name, parameters=parameters, expire=SIGNED_URL_SECONDS)
    return url


def content_disposition(filename: str, *, inline: bool) -> str:
    """The header value for `filename` (already reduced to letters, digits, `-`, `_` and one
    dot by private_files.safe_filename), as Django's FileResponse writes it."""
    kind = "inline" if inline else "attachment"
    return f'{kind}; filename="{filename}"'
