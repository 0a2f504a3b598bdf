"""Schemathesis hooks for .ci/schemathesis.sh: lets it send the spreadsheet bodies
of POST /api/v1/assignments/import (CSV or XLSX) and the photo bodies of
POST /api/v1/inspections/{id}/photos and PUT /api/v1/attendance/events/{event_id}/photo
(JPEG, PNG, WebP) as raw bytes."""

import schemathesis


def _as_bytes(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return str(value).encode("utf-8")


class RawBytes:
    def as_requests(self, context, value):
        return {"data": _as_bytes(value)}

    def as_werkzeug(self, context, value):
        return {"data": _as_bytes(value)}


for _media_type in (
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "image/jpeg",
    "image/png",
    "image/webp",
):
    schemathesis.serializer(_media_type)(RawBytes)
