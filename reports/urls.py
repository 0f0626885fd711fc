"""Pages, chart JSON and exports of the reports room (provincial officers and the Ministry)."""

from django.urls import path

from reports.views import daily, dashboard, exports

app_name = "reports"

urlpatterns = [
    # Dashboards: the officer's province or the nation, and drill-down to any unit in scope.
    path("", dashboard.dashboard, name="dashboard"),
    path("units/<int:level>/<int:code>/", dashboard.unit_dashboard, name="unit"),
    path("units/<int:level>/<int:code>/cases/", dashboard.unit_cases, name="unit_cases"),
    path("units/<int:level>/<int:code>/figures.json", dashboard.unit_json, name="unit_json"),
    # The daily report: a day's figures, submission to the Ministry, completeness.
    path("daily/", daily.daily, name="daily"),
    path("daily/<str:day>/print/", daily.daily_print, name="daily_print"),
    path("daily/<str:day>/submit/", daily.submit, name="submit"),
    path("daily/<str:day>/reopen/", daily.reopen, name="reopen"),
    path("submissions/<int:pk>.json", daily.submission_payload, name="submission_payload"),
    path("submissions/<int:pk>.p7s", daily.submission_signature, name="submission_signature"),
    # Exports (CSV streamed, XLSX, JSON, ADX) and the police daily verification report.
    path("export/", exports.export_page, name="export"),
    path("export/figures", exports.export_figures, name="export_figures"),
    path("export/police", exports.export_police, name="export_police"),
]
