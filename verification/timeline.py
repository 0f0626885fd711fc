"""The lines of a case's timeline, in the reader's language.

A line the application writes is stored as a message id and its parameters in the event's
data (``{"msg": "add_dose", "msg_args": {...}}``, made by ``line``) and put into words when it
is shown (``event_line``), so a Vietnamese reader and an English one each read it in their
own language, whoever wrote it. The event's ``message`` column keeps only what a person
typed (a rejection note, a request for information, the citizen's answer, an officer's note),
shown as typed.

Events written before this stored the line as text in the language of the moment; case
events are append-only (a trigger refuses UPDATE), so they are not rewritten: a stored text
that is one of these lines in Vietnamese or English is read back to its id and parameters and
shown in the reader's language; any other text is shown as stored.
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext_lazy

from verification import workflow
from verification.imports.review_selectors import field_names

# id -> the English message (the catalogue's msgid). Parameters are JSON values; a date is
# stored as ISO (yyyy-mm-dd) and shown as dd/mm/yyyy; "fields" is a list of field keys shown by
# their names.
LINES: dict[str, str] = {
    "confirm": gettext_noop("Report confirmed with the code sent to the phone."),
    "join_report": ngettext_lazy("The citizen reported the same dose again; %(n)s new file added.",
                                 "The citizen reported the same dose again; %(n)s new files added.", "n"),
    "joined": gettext_noop("Joined the open request %(code)s."),
    "link_citizen": gettext_noop("Linked to the citizen %(name)s."),
    "link_citizen_differs": gettext_noop("Linked to the citizen %(name)s, who differs from the claim in "
                                         "%(fields)s; reason: %(reason)s"),
    "create_citizen": gettext_noop("Created the citizen %(name)s on the platform."),
    "correct_identity": gettext_noop("Identity corrected: %(name)s."),
    "add_dose": gettext_noop("Dose added: %(vaccine)s, dose %(n)s, %(date)s."),
    "use_existing_dose": gettext_noop("The dose was already on the platform: %(vaccine)s, %(date)s."),
    "correct_dose": gettext_noop("Dose corrected (version %(v)s): %(vaccine)s, dose %(n)s, %(date)s."),
    "send_to_police": gettext_noop("Sent to the commune police of %(ward)s."),
    "verified_by_registry": gettext_noop("Identity verified by the national population database."),
    "withdraw": gettext_noop("Withdrawn by the citizen."),
}
# The languages a stored text may be in (events written before the ids).
STORED_LANGUAGES = ("vi", "en")
# Lines once written as text under an English msgid since replaced (read back, never written).
FORMER_LINES = {"join_report": ("The citizen reported the same dose again; %(n)s new file(s) added.",)}
_PARAMETER = re.compile(r"%\\\((\w+)\\\)s")


def line(msg: str, **args) -> dict:
    """An event's data naming line `msg` with its parameters (merge it into the event's data)."""
    if msg not in LINES:
        raise KeyError(f"no timeline line {msg!r}")
    values = {k: v.isoformat() if isinstance(v, date) else v for k, v in args.items()}
    return {"msg": msg, "msg_args": values}


def _shown(name: str, value) -> str:
    if name == "fields" and isinstance(value, list):  # the confirmed fields that differ, by key
        return field_names(value)
    if name == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value  # a date read back from an old line is already dd/mm/yyyy
    return str(value)


def _forms(msg: str) -> list[str]:
    """Line `msg`'s templates in the active language: one, or each plural form (1 and 2 cover
    English and Vietnamese), then the texts it was once written as."""
    entry = LINES[msg]
    if isinstance(entry, str):
        forms = [_(entry)]
    else:  # a plural line (its count is "n", no other digit in it): each form, the count put back
        forms = list(dict.fromkeys(str(entry % {"n": n}).replace(str(n), "%(n)s", 1) for n in (1, 2)))
    return forms + list(FORMER_LINES.get(msg, ()))


def line_text(msg: str, args: dict) -> str:
    """Line `msg` in the active language, its parameters filled in (a plural line by its count)."""
    entry = LINES[msg]
    shown = {k: _shown(k, v) for k, v in args.items()}
    try:
        if isinstance(entry, str):
            return _(entry) % shown
        return entry % {**shown, "n": int(args["n"])}  # the form for n, filled in
    except (KeyError, TypeError, ValueError):
        return _forms(msg)[0]


@cache
def _patterns(language: str) -> tuple[tuple[str, re.Pattern], ...]:
    with translation.override(language):
        out = []
        for msg in LINES:
            for form in _forms(msg):
                pattern = _PARAMETER.sub(lambda m: f"(?P<{m.group(1)}>.+?)", re.escape(form))
                out.append((msg, re.compile(pattern, re.DOTALL)))
    return tuple(out)


def read_back(text: str) -> tuple[str, dict] | None:
    """A stored text that is one of the lines in a stored language: its id and parameters."""
    text = (text or "").strip()
    for language in STORED_LANGUAGES:
        for msg, pattern in _patterns(language):
            found = pattern.fullmatch(text)
            if found:
                return msg, found.groupdict()
    return None


def event_line(event) -> str:
    """What the event says beside its state, in the active language ("" when nothing)."""
    data = event.data or {}
    if data.get("msg") in LINES:
        said = line_text(data["msg"], data.get("msg_args") or {})
    else:
        known = read_back(event.message) if event.message else None
        said = line_text(*known) if known else event.message
    if event.transition == "reject" and data.get("reason") in workflow.RejectReason.values:
        reason = str(workflow.RejectReason(data["reason"]).label)
        return f"{reason}: {said}" if said else reason
    return said
