"""The resources of API v1, one path per endpoint (names are `api:<name>`)."""

from django.urls import path

from api.views import cases, citizens, fhir, imports, injections, me, police, reports, signatures

urlpatterns = [
    path("me/", me.Me.as_view(), name="me"),
    path("citizens/", citizens.CitizenLookup.as_view(), name="citizens"),
    path("injections/", injections.InjectionList.as_view(), name="injections"),
    path("injections/bulk/", injections.InjectionBulk.as_view(), name="injections_bulk"),
    path("injections/<int:pk>/", injections.InjectionDetail.as_view(), name="injection"),
    path("injections/<int:pk>/signatures/", signatures.RecordSignatures.as_view(),
         name="injection_signatures"),
    path("cases/", cases.CaseList.as_view(), name="cases"),
    path("cases/<int:pk>/", cases.CaseDetail.as_view(), name="case"),
    *[path(f"cases/<int:pk>/{action}/", view.as_view(), name=f"case_{action.replace('-', '_')}")
      for action, view in cases.ACTIONS.items()],
    path("imports/", imports.ImportList.as_view(), name="imports"),
    path("imports/<int:pk>/", imports.ImportDetail.as_view(), name="import"),
    path("imports/<int:pk>/errors/", imports.ImportErrors.as_view(), name="import_errors"),
    path("police/queue/", police.PoliceQueue.as_view(), name="police_queue"),
    path("police/next/", police.PoliceNext.as_view(), name="police_next"),
    path("police/bulk-confirm/", police.PoliceBulkConfirm.as_view(), name="police_bulk_confirm"),
    path("police/cases/<int:pk>/", police.PoliceCase.as_view(), name="police_case"),
    path("police/cases/<int:pk>/decision/", police.PoliceDecision.as_view(), name="police_decision"),
    path("police/cases/<int:pk>/release/", police.PoliceRelease.as_view(), name="police_release"),
    path("reports/units/<int:level>/<int:code>/", reports.UnitSummary.as_view(), name="report_unit"),
    path("reports/units/<int:level>/<int:code>/days/", reports.UnitDays.as_view(), name="report_unit_days"),
    path("reports/export/figures/", reports.FigureExport.as_view(), name="report_export_figures"),
    path("reports/export/police/", reports.PoliceExport.as_view(), name="report_export_police"),
    path("fhir/Patient/<int:pk>", fhir.Patient.as_view(), name="fhir_patient"),
    path("fhir/Patient/<int:pk>/$everything", fhir.Everything.as_view(), name="fhir_everything"),
    path("fhir/Immunization", fhir.ImmunizationSearch.as_view(), name="fhir_immunizations"),
]
