"""A CSV download among JSON answers: the file passes through; an error still reads as JSON."""

from __future__ import annotations

import json

from rest_framework.renderers import BaseRenderer, JSONRenderer


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, (dict, list)):  # a problem-details body when the download is refused
            return json.dumps(data).encode()
        return data


class FhirRenderer(JSONRenderer):
    """FHIR resources as application/fhir+json (plain JSON clients get the same body)."""

    media_type = "application/fhir+json"
    format = "fhir"


class _Download(CsvRenderer):
    """A file the view streams itself (only a refusal is rendered, as problem details)."""


class XlsxRenderer(_Download):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None


class AdxRenderer(_Download):
    media_type = "application/adx+xml"
    format = "adx"


DOWNLOADS = [JSONRenderer, CsvRenderer, XlsxRenderer, AdxRenderer]
