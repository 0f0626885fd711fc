"""No English on Vietnamese pages and no Vietnamese on English pages: every page of each role's
menu (and the citizens' pages, and a case's pages for the clinic, the police and the citizen) is
read in Chromium in both languages; a catalogue sentence shown in the other language, or a known
leaked key ("None", the stored actor keys), fails the test. The Vietnamese catalogue has no
untranslated or fuzzy entry."""

import re
from datetime import date
from pathlib import Path

import pytest
from django.utils import translation

from accounts.models import Role
from tests.conftest import ROOT, browser_login
from tests.factories import CitizenFactory, make_user
from tests.verification.conftest import confirmed_report
from tests.verification.helpers import update_record
from verification.services import case_reject, case_send_to_police, case_start_review

pytestmark = pytest.mark.browser

CATALOGUE = Path(ROOT) / "locale" / "vi" / "LC_MESSAGES" / "django.po"
# "None" as a value (not the English sentence "None of them: ...").
KNOWN_LEAKS = re.compile(r"\bNone\b(?! of\b)|>\s*citizen\s*<|>\s*system\s*<|\bTrue\b|\bFalse\b")
PERSONAS = {  # user: pages besides their menu
    None: ["/verification/report/", "/verification/status/", "/verification/guide/", "/login/"],
    "clinic-hn": [], "police-hn": [], "signer-hn": ["/signing/certificates/"], "province-hn": [],
    "ministry": [],
}


def _unquote(lines: list[str]) -> str:
    return "".join(re.match(r'^(?:msgid|msgid_plural|msgstr(?:\[\d\])?)?\s*"(.*)"$', x).group(1)
                   for x in lines).replace('\\"', '"').replace("\\n", "\n")


def catalogue() -> list[dict]:
    """The Vietnamese catalogue's entries: msgid, msgstr (the first form), fuzzy."""
    entries, block = [], []
    for line in CATALOGUE.read_text(encoding="utf-8").split("\n") + [""]:
        if line.strip():
            block.append(line)
            continue
        if block:
            entry: dict = {"fuzzy": any(x.startswith("#,") and "fuzzy" in x for x in block)}
            key = None
            for x in block:
                if x.startswith("#"):
                    continue
                head = x.split(" ", 1)[0]
                if head in ("msgid", "msgid_plural", "msgstr", "msgstr[0]", "msgstr[1]", "msgctxt"):
                    key = head
                    entry.setdefault(key, [])
                if key:
                    entry[key].append(x if x.startswith(head) and head == key else x)
            entries.append({"msgid": _unquote(entry.get("msgid", [])),
                            "msgstr": _unquote(entry.get("msgstr", entry.get("msgstr[0]", []))),
                            "fuzzy": entry["fuzzy"]})
            block = []
    return entries


def sentences(entries, field: str) -> set[str]:
    """Whole sentences of the catalogue in one language: long enough not to be a name or a value
    that both languages share, with no placeholder."""
    out = set()
    for e in entries:
        text = e[field]
        if (e["msgid"] and e["msgid"] != e["msgstr"] and len(text.split()) >= 4 and "%" not in text
                and "{" not in text and "<" not in text and "\n" not in text):
            out.add(text)
    return out


def test_the_vietnamese_catalogue_has_no_untranslated_or_fuzzy_entry():
    entries = [e for e in catalogue() if e["msgid"]]
    assert len(entries) > 1000
    assert [e["msgid"] for e in entries if not e["msgstr"]] == []
    assert [e["msgid"] for e in entries if e["fuzzy"]] == []


def _cases(facility, clinic_user) -> dict:
    """Each persona's case pages: one in review with candidates (one of them differing from the
    claim), one sent to the police (its timeline full of lines), the citizen's status pages."""
    sent = confirmed_report(facility)
    case_start_review(case=sent, actor=clinic_user)
    update_record(sent, clinic_user)
    case_send_to_police(case=sent, actor=clinic_user)
    in_review = confirmed_report(facility, phone="0987654321")
    case_start_review(case=in_review, actor=clinic_user)
    CitizenFactory(full_name="Trần Thị Lan", sex="F", date_of_birth=date(1991, 3, 12), cccd="001191004568",
                   phone="0987654321")
    return {None: [f"/verification/status/{c.tracking_code}/" for c in (in_review, sent)],
            "clinic-hn": [f"/verification/cases/{c.pk}/" for c in (in_review, sent)],
            "police-hn": [f"/verification/police/cases/{sent.pk}/"]}


def _pages(page, user, cases: dict) -> list[str]:
    if user is None:
        return PERSONAS[None] + cases[None]
    browser_login(page, user)
    menu = page.locator("nav.mainnav a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    return [*menu, *PERSONAS[user], *cases.get(user, [])]


@pytest.mark.parametrize("user", list(PERSONAS))
def test_every_page_speaks_only_the_readers_language(page, user, clinic_user, police_user, provincial_user,
                                                      ministry_user, hanoi_facility):
    make_user(Role.SIGNER, username="signer-hn", ward=hanoi_facility.ward)
    cases = _cases(hanoi_facility, clinic_user)
    entries = catalogue()
    english, vietnamese = sentences(entries, "msgid"), sentences(entries, "msgstr")
    leaks, native = [], {"vi": 0, "en": 0}
    for url in _pages(page, user, cases):
        for lang, foreign, own in (("vi", english, vietnamese), ("en", vietnamese, english)):
            page.context.add_cookies([{"name": "django_language", "value": lang, "url": page.base_url}])
            page.goto(page.base_url + url)
            text = page.inner_text("body")
            leaks += [f"{lang} {url}: {s!r}" for s in foreign if s in text]
            native[lang] += sum(1 for s in own if s in text)
            html = page.inner_html("main") if page.locator("main").count() else ""
            leaks += [f"{lang} {url}: {m!r}" for m in KNOWN_LEAKS.findall(html)]
    assert leaks == []
    # The walk reads the catalogue's sentences where they are shown: the check can see a leak.
    assert native["vi"] > 0 and native["en"] > 0


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_case_timeline_speaks_the_readers_language(page, clinic_user, hanoi_facility, lang):
    with translation.override("vi" if lang == "en" else "en"):  # written in the other language
        case = confirmed_report(hanoi_facility)
        case_start_review(case=case, actor=clinic_user)
        case_reject(case=case, actor=clinic_user, reason="no_injection")
    browser_login(page, "clinic-hn")
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": page.base_url}])
    page.goto(page.base_url + f"/verification/cases/{case.pk}/")
    timeline = page.inner_text("ol.timeline")
    entries = catalogue()
    foreign, own = (sentences(entries, "msgstr"), sentences(entries, "msgid")) if lang == "en" else \
        (sentences(entries, "msgid"), sentences(entries, "msgstr"))
    assert [s for s in foreign if s in timeline] == []
    # the opening line and the rejection's reason, in the reader's language
    assert len([s for s in own if s in timeline]) >= 2
