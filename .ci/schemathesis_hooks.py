"""Schemathesis 4 hooks for .ci/schemathesis.sh: lets it send the spreadsheet bodies
of POST /api/v1/assignments/import (CSV or XLSX) as raw bytes. Images (JPEG, PNG,
WebP: the photo uploads) have built-in serializers in schemathesis 4."""

import schemathesis


def _as_bytes(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return str(value).encode("utf-8")


@schemathesis.serializer(
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
def raw_bytes(ctx, value):
    return _as_bytes(value)
