from django.urls import include, path

from verification.views import public
from verification.views.clinic import case_actions, case_page
from verification.views.clinic import queue as clinic_queue

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
    path("queue/", clinic_queue.queue, name="queue"),
    path("cases/<int:pk>/", case_page.case_detail, name="case_detail"),
    path("cases/<int:pk>/evidence/<int:evidence_pk>/", case_page.evidence_file, name="evidence"),
    # One view per action on a case (POST); any other name under a case is not found.
    path("cases/<int:pk>/start_review/", case_actions.start_review, name="case_start_review"),
    path("cases/<int:pk>/link/", case_actions.link_citizen, name="case_link_citizen"),
    path("cases/<int:pk>/search/", case_actions.registry_search, name="case_registry_search"),
    path("cases/<int:pk>/create_citizen/", case_actions.create_citizen, name="case_create_citizen"),
    path("cases/<int:pk>/correct_identity/", case_actions.correct_identity, name="case_correct_identity"),
    path("cases/<int:pk>/add_dose/", case_actions.add_dose, name="case_add_dose"),
    path("cases/<int:pk>/use_existing_dose/", case_actions.use_existing_dose, name="case_use_existing_dose"),
    path("cases/<int:pk>/correct_dose/", case_actions.correct_dose, name="case_correct_dose"),
    path("cases/<int:pk>/send_to_police/", case_actions.send_to_police, name="case_send_to_police"),
    path("cases/<int:pk>/reject/", case_actions.reject, name="case_reject"),
    path("cases/<int:pk>/request_info/", case_actions.request_info, name="case_request_info"),
    path("cases/<int:pk>/<slug:action>/", case_actions.unknown_action, name="case_action"),
    # Commune police (verification/police).
    path("police/", include("verification.police.urls")),
    path("imports/", include("verification.imports.urls")),
]
