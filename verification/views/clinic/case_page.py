"""The clinic's case page: one case as staff see it, with the form of every action on it.

The actions are in `case_actions`; a form they refuse comes back here (`case_page_again`)
with the input as typed and the error on its field.
"""

from __future__ import annotations

from datetime import date

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, person_words
from records.models import Citizen
from vaxrecon.access import scope_for
from vaxrecon.errors import NotFoundInScope
from verification import workflow
from verification.forms import (
    CitizenCreateForm,
    DoseChoices,
    DoseForm,
    IdentityCorrectionForm,
    RejectForm,
    RequestInfoForm,
)
from verification.imports.forms import RegistrySearchForm
from verification.imports.review_selectors import (
    claim_record,
    differing_fields,
    field_names,
    registry_search,
    tied_count,
)
from verification.police.selectors import registry_delay
from verification.selectors import case_candidates, case_facilities, citizen_doses, staff_case
from verification.timeline import event_line
from verification.views.clinic.queue import clinic_only, deadline_info

S = workflow.CaseStatus
TEMPLATE = "verification/clinic/case.html"


def _dose_initial(claimed: list, own_facility_id) -> dict:
    """The add-dose form starts from the first claimed dose (or dose 1 at the user's facility)."""
    first = claimed[0] if claimed else None
    return {"vaccine": first.vaccine.code if first and first.vaccine else None,
            "dose_number": first.dose_number if first else 1,
            "injection_date": first.injection_date.strftime("%d/%m/%Y") if first else "",
            "lot_number": first.lot_number if first else "",
            "facility": (first.facility_id if first and first.facility_id else own_facility_id)}


def _identity_initial(case) -> dict:
    return {"full_name": case.full_name, "sex": case.sex, "id_number": case.id_number,
            "date_of_birth": case.date_of_birth.strftime("%d/%m/%Y") if case.date_of_birth
            else case.birth_year}


def _day(value) -> str:
    """A date (or its ISO text, as JSON stores it) as dd/mm/yyyy; other values as they are."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return value.strftime("%d/%m/%Y") if isinstance(value, date) else str(value or "")


def _correction_initial(identity: dict, police: dict) -> dict:
    """The identity correction starts from the police's values where they gave them."""
    initial = dict(identity)
    for key in ("full_name", "sex", "date_of_birth"):
        if police.get(key):
            initial[key] = _day(police[key]) if key == "date_of_birth" else police[key]
    if police.get("id_number") or police.get("cccd"):
        initial["id_number"] = police.get("id_number") or police.get("cccd")
    return initial


def _police_differences(case, police: dict) -> list[dict]:
    """What the police found different, a field a row in words: its label, the registry's value
    and the case's (dates dd/mm/yyyy, sex in words)."""
    claimed = {"full_name": case.full_name, "sex": case.sex, "id_number": case.id_number,
               "date_of_birth": case.date_of_birth or case.birth_year}
    labels = {"full_name": _("Full name"), "date_of_birth": _("Date of birth"), "sex": _("Sex"),
              "id_number": _("CCCD/CMND")}
    police = {("id_number" if key == "cccd" else key): value for key, value in police.items()}

    def words(key, value) -> str:
        if key == "sex":
            return str(Citizen.Sex(value).label) if value in Citizen.Sex.values else str(value or "")
        return _day(value)

    return [{"key": key, "label": label, "registry": words(key, police[key]),
             "claimed": words(key, claimed[key])} for key, label in labels.items() if police.get(key)]


def _comparison(case, citizen) -> list[tuple]:
    """The claim beside the linked citizen's record, each row marked where they differ."""
    if not citizen:
        return []
    pairs = [(_("Full name"), case.full_name, citizen.full_name),
             (_("Date of birth"), _day(case.date_of_birth or case.birth_year),
              _day(citizen.date_of_birth or citizen.birth_year)),
             (_("Sex"), case.get_sex_display(), citizen.get_sex_display()),
             (_("CCCD/CMND"), case.id_number, citizen.cccd or citizen.cmnd),
             (_("Phone"), case.phone, citizen.phone)]
    return [(label, a, b, str(a or "") != str(b or "")) for label, a, b in pairs]


def actor_words(event) -> str:
    """Who acted, as the reader says it: the citizen, the system, or a person's name and role
    (the stored label is a fixed key or a user name, in no language)."""
    if event.actor is None:
        return str({workflow.CITIZEN: _("Citizen"), workflow.SYSTEM: _("VaxRecon (automatic)")}.get(
            event.actor_label, event.actor_label))
    return person_words(event.actor)


def _with_differences(case, candidates: list) -> list:
    """Each candidate with `differs`: the names of the fields that differ from the claim and must
    be confirmed, with a reason, before staff link it (as on the match review)."""
    claim = claim_record(case)
    for candidate in candidates:
        candidate.differs = field_names(differing_fields(claim, candidate.citizen))
    return candidates


def _who_is_it(case, search: RegistrySearchForm | None) -> dict:
    """The candidates, how many people tie when the strongest are equally strong, and the
    registry search (`search`, POSTed: no CCCD or phone in a URL) with what it found, scored
    with the candidates as the match review's search is."""
    search = search or RegistrySearchForm()
    terms = search.terms() if search.is_bound and search.is_valid() and search.has_terms() else None
    candidates = _with_differences(case, case_candidates(case))
    found = None
    if terms:
        citizens = registry_search(**terms)
        scored = {c.citizen.pk: c for c in _with_differences(case, case_candidates(case, extra=citizens))}
        found = [scored[c.pk] for c in citizens if c.pk in scored]
    return {"candidates": candidates, "search_form": search, "search_terms": terms, "found": found,
            "tied": tied_count(claim_record(case), [c.score for c in candidates])}


def _events(case) -> list[tuple]:
    """The timeline, each event with who acted in words, the label of the state it led to and
    what it says (in the reader's language)."""
    return [(e, actor_words(e), S(e.to_status).label if e.to_status in S.values else e.to_status,
             event_line(e))
            for e in case.events.select_related("actor__profile")]


def _action_forms(case, *, facilities: list, claimed: list, own_facility_id, police: dict,
                  given: dict, choices: DoseChoices) -> dict:
    """The forms of the case's actions; one the user sent back refused (`given`) is shown as typed."""
    identity = _identity_initial(case)
    return {
        "citizen_form": given.get("citizen_form") or CitizenCreateForm(
            initial={**identity, "phone": case.phone}),
        "identity_form": given.get("identity_form") or IdentityCorrectionForm(
            initial=_correction_initial(identity, police), prefix="identity"),
        "dose_form": given.get("dose_form") or DoseForm(initial=_dose_initial(claimed, own_facility_id),
                                                        facilities=facilities, choices=choices),
        "reject_form": given.get("reject_form") or RejectForm(),
        "info_form": given.get("info_form") or RequestInfoForm(),
    }


def _correct_forms(platform_doses, facilities: list, given: dict, choices: DoseChoices) -> dict:
    """A correction form for each current dose, by record id (a refused one kept as typed)."""
    forms = given
    for record in platform_doses:
        if record.is_current and record.pk not in forms:
            forms[record.pk] = DoseForm(
                prefix=f"fix{record.pk}", choices=choices,
                facilities=facilities + ([record.facility] if record.facility else []),
                initial={"vaccine": record.vaccine.code, "dose_number": record.dose_number,
                         "injection_date": record.injection_date.strftime("%d/%m/%Y"),
                         "lot_number": record.lot_number, "facility": record.facility_id})
    return forms


def case_context(request: HttpRequest, case, **given) -> dict:
    """What the case page shows. `given`: refused forms by their context name, `duplicate`
    (the recorded dose a new one repeats) and `open_panel` (the action to show open)."""
    citizen = case.citizen
    scope = scope_for(request.user)
    facilities = case_facilities(case=case, scope=scope)
    platform_doses = citizen_doses(citizen=citizen) if citizen else []
    claimed = list(case.claimed_doses.select_related("vaccine", "facility"))
    police = case.police_values or {}
    editable = case.status in workflow.EDITABLE_STATES
    # The dose forms' options (vaccines, facilities) read once for the page, not once per form.
    choices = DoseChoices([f.pk for f in facilities]
                          + [r.facility_id for r in platform_doses if r.is_current])
    correct_forms = _correct_forms(platform_doses, facilities, given.get("correct_forms") or {}, choices)
    return {
        "case": case, "deadline": deadline_info(case, timezone.now()), "claimed": claimed,
        "citizen": citizen, "comparison": _comparison(case, citizen), "platform_doses": platform_doses,
        "case_injection_ids": set(case.injections.values_list("pk", flat=True)),
        "evidence": case.evidence.all(), "events": _events(case),
        **(_who_is_it(case, given.get("search_form")) if editable and not citizen else {"candidates": []}),
        "allowed": {t.name for t in workflow.allowed_transitions(case.status, Role.CLINIC_STAFF)},
        "editable": editable, "police_values": police,
        "police_differences": _police_differences(case, police),
        **_action_forms(case, facilities=facilities, claimed=claimed, own_facility_id=scope.facility_id,
                        police=police, given=given, choices=choices),
        "correct_forms": correct_forms,
        "correct_rows": [(r, correct_forms.get(r.pk)) for r in platform_doses],
        "duplicate": given.get("duplicate"),
        "open_panel": given.get("open_panel", ""),
        "reject_reasons": workflow.RejectReason,
        "delay": registry_delay() if case.status == S.AWAITING_POLICE else None,
    }


@clinic_only
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = staff_case(scope=scope_for(request.user), pk=pk)
    return render(request, TEMPLATE, case_context(request, case))


def case_page_again(request: HttpRequest, case, *, status: int = 400, **given) -> HttpResponse:
    """The case page after a refused form (400; 409 when the dose is already recorded)."""
    case.refresh_from_db()
    return render(request, TEMPLATE, case_context(request, case, **given), status=status)


@clinic_only
def evidence_file(request: HttpRequest, pk: int, evidence_pk: int) -> FileResponse:
    """A case's evidence file, only to staff whose scope holds the case."""
    case = staff_case(scope=scope_for(request.user), pk=pk)
    evidence = case.evidence.filter(pk=evidence_pk).first()
    if evidence is None:
        raise NotFoundInScope(_("No such file."))
    response = FileResponse(evidence.file.open("rb"), content_type=evidence.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
