"""Field formats of Backstage's catalog model (its Kubernetes-style validator functions), as predicates.

URLs are judged by the WHATWG URL standard, through `ada-url`: the same parser that Node.js (and so
Backstage's `new URL(...)` check) uses.
"""

from __future__ import annotations

import re

import ada_url

_OBJECT_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS_LABEL = re.compile(r"[a-z0-9]+(?:-+[a-z0-9]+)*")
_KIND = re.compile(r"[a-zA-Z][a-z0-9A-Z]*")
_TAG = re.compile(r"[a-z0-9:+#]+(-[a-z0-9:+#]+)*")
_VERSION = re.compile(r"[a-z0-9A-Z]+")


def _is_text(value, longest: int) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= longest


def object_name(value) -> bool:
    return _is_text(value, 63) and bool(_OBJECT_NAME.fullmatch(value))


def dns_label(value) -> bool:
    return _is_text(value, 63) and bool(_DNS_LABEL.fullmatch(value))


def dns_subdomain(value) -> bool:
    return _is_text(value, 253) and all(dns_label(part) for part in value.split("."))


def kind(value) -> bool:
    return _is_text(value, 63) and bool(_KIND.fullmatch(value))


def tag(value) -> bool:
    return _is_text(value, 63) and bool(_TAG.fullmatch(value))


def _prefixed(value, suffix) -> bool:
    """`suffix` or `prefix/suffix`, the prefix a DNS subdomain."""
    if not isinstance(value, str):
        return False
    parts = value.split("/")
    if len(parts) == 1:
        return suffix(parts[0])
    return len(parts) == 2 and dns_subdomain(parts[0]) and suffix(parts[1])


def api_version(value) -> bool:
    return _prefixed(value, lambda part: _is_text(part, 63) and bool(_VERSION.fullmatch(part)))


def annotation_key(value) -> bool:
    return _prefixed(value, object_name)


label_key = annotation_key


def label_value(value) -> bool:
    return value == "" or object_name(value)


def url(value) -> bool:
    return isinstance(value, str) and ada_url.check_url(value)


def non_blank(value) -> bool:
    return isinstance(value, str) and bool(value.strip())
