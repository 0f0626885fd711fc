"""Export pages: the form, the figures download (CSV/XLSX/JSON/ADX) and the police daily
verification report download. Reading and writing live in reports/exports.py."""

from __future__ import annotations

from datetime import timedelta

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.models import Role
from records.models import Province
from reports import exports
from reports.models import Level
from vaxrecon.access import NATION, role_required, scope_for
from vaxrecon.spreadsheets import attachment
from verification.police.views import REPORT_ROLES, report_cells, report_from_request

FIGURE_ROLES = (Role.PROVINCIAL_OFFICER, Role.MINISTRY_ANALYST)


def download(body, *, filename: str, content_type: str) -> StreamingHttpResponse:
    """A download of `body`: a temporary file (XLSX) or an iterator of bytes, streamed (also the
    API's exports, api/views/reports.py)."""
    response = FileResponse(body) if hasattr(body, "read") else StreamingHttpResponse(body)
    response["Content-Type"] = content_type
    return attachment(response, filename)


@role_required(*FIGURE_ROLES)
def export_page(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    parent = exports.parent_from(request.GET, scope=scope)
    end = timezone.localdate()
    return render(request, "reports/export.html", {
        "parent": parent,
        "parent_level": exports.LEVEL_NAMES[parent.level],
        "levels": [(name, Level(value).label) for name, value in exports.LEVELS.items()
                   if value >= parent.level],
        "default_level": exports.LEVEL_NAMES[Level(min(parent.level + 1, Level.FACILITY))],
        "formats": exports.FORMATS,
        "police_formats": exports.POLICE_FORMATS,
        "start": end - timedelta(days=exports.DEFAULT_DAYS - 1),
        "end": end,
        "police_start": end - timedelta(days=13),  # the police report's own default period
        "provinces": Province.objects.order_by("name") if scope.kind == NATION else [],
    })


@role_required(*FIGURE_ROLES)
def export_figures(request: HttpRequest) -> StreamingHttpResponse:
    scope = scope_for(request.user)
    export = exports.figure_export_from(request.GET, scope=scope)
    return download(exports.figure_file(scope=scope, export=export), filename=export.filename,
                     content_type=export.content_type)


@role_required(*REPORT_ROLES)
def export_police(request: HttpRequest) -> StreamingHttpResponse:
    fmt = exports.police_format_from(request.GET)
    lang = exports.lang_from(request.GET)
    _form, report = report_from_request(request)
    scope = scope_for(request.user)
    return download(exports.police_file(report=report, cells=report_cells, fmt=fmt, lang=lang),
                     filename=exports.police_filename(scope=scope, report=report, fmt=fmt),
                     content_type=exports.CONTENT_TYPES[fmt])
