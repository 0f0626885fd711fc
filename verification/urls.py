from django.urls import include, path

from verification.views import clinic, public

app_name = "verification"

urlpatterns = [
    # Citizens (no account).
    path("report/", public.report, name="report"),
    path("report/confirm/", public.report_confirm, name="report_confirm"),
    path("status/", public.status_lookup, name="status_lookup"),
    path("status/<str:code>/", public.status, name="status"),
    path("status/<str:code>/code/", public.status_code, name="status_code"),
    path("status/<str:code>/withdraw/", public.status_withdraw, name="status_withdraw"),
    path("status/<str:code>/answer/", public.status_provide_info, name="status_provide_info"),
    path("guide/", public.guide, name="guide"),
    path("facilities/search/", public.facility_search, name="facility_search"),
    path("wards/", public.ward_options, name="ward_options"),
    # Clinic staff.
    path("queue/", clinic.queue, name="queue"),
    path("cases/<int:pk>/", clinic.case_detail, name="case_detail"),
    path("cases/<int:pk>/evidence/<int:evidence_pk>/", clinic.evidence_file, name="evidence"),
    path("cases/<int:pk>/<slug:action>/", clinic.case_action, name="case_action"),
    # Commune police (verification/police).
    path("police/", include("verification.police.urls")),
    path("imports/", include("verification.imports.urls")),
]
