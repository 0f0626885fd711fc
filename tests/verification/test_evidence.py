"""Evidence files: JPEG, PNG or PDF by content, at most 5 MB, several files, all or nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from records.models import AuditEvent
from vaxrecon.errors import InvalidInput
from verification.models import Evidence
from verification.services import evidence_attach, evidence_check
from verification.services.evidence import MAX_EVIDENCE_BYTES

from .conftest import JPEG, PDF, PNG, jpeg


def test_jpeg_png_and_pdf_are_recognised_by_their_content(db):
    files = [SimpleUploadedFile("a.bin", JPEG), SimpleUploadedFile("b", PNG),
             SimpleUploadedFile("c.txt", PDF)]
    assert [kind for _f, kind in evidence_check(files)] == ["image/jpeg", "image/png", "application/pdf"]


def test_a_wrong_type_with_a_good_extension_is_refused(db):
    html = SimpleUploadedFile("slip.jpg", b"<html><script>alert(1)</script></html>",
                              content_type="image/jpeg")
    with pytest.raises(InvalidInput, match="not a JPEG, PNG or PDF") as err:
        evidence_check([html])
    assert err.value.field == "evidence"


def test_a_file_over_5_mb_is_refused(db):
    big = jpeg("big.jpg", JPEG + b"\x00" * MAX_EVIDENCE_BYTES)
    with pytest.raises(InvalidInput, match="larger than 5 MB"):
        evidence_check([big])


def test_a_file_of_exactly_5_mb_is_accepted(db):
    exact = jpeg("exact.jpg", JPEG + b"\x00" * (MAX_EVIDENCE_BYTES - len(JPEG)))
    assert len(evidence_check([exact])) == 1


def test_more_than_five_files_are_refused(db):
    with pytest.raises(InvalidInput, match="at most 5"):
        evidence_check([jpeg(f"{n}.jpg") for n in range(6)])


def test_one_bad_file_among_good_ones_stores_nothing(reported_case, settings):
    before = Evidence.objects.count()
    with pytest.raises(InvalidInput):
        evidence_attach(case=reported_case,
                        files=[jpeg("ok.jpg"), SimpleUploadedFile("x.png", b"MZ\x90\x00")])
    assert Evidence.objects.count() == before
    stored = list((settings.MEDIA_ROOT / "evidence").rglob("*"))
    assert len([p for p in stored if p.is_file()]) == before


def test_stored_files_keep_a_hash_and_a_random_name(reported_case):
    (row,) = evidence_attach(case=reported_case, files=[SimpleUploadedFile("../../etc/passwd.pdf", PDF)])
    assert row.content_type == "application/pdf" and len(row.sha256) == 64
    assert "passwd" not in row.file.name and row.original_name.endswith("passwd.pdf")


def test_exactly_five_files_are_accepted(db):
    assert len(evidence_check([jpeg(f"{n}.jpg") for n in range(5)])) == 5


def test_each_stored_file_leaves_an_audit_row_naming_who_and_its_hash(reported_case, clinic_user):
    (by_citizen,) = evidence_attach(case=reported_case, files=[SimpleUploadedFile("slip.pdf", PDF)])
    (by_clinic,) = evidence_attach(case=reported_case, files=[jpeg("card.jpg")], actor=clinic_user)
    rows = {a.object_id: a for a in AuditEvent.objects.filter(action="evidence.attach")}
    citizen, clinic = rows[str(by_citizen.pk)], rows[str(by_clinic.pk)]
    assert (citizen.actor, citizen.actor_label) == (None, "citizen")
    assert citizen.object_type == "verification.evidence"
    assert (clinic.actor, clinic.actor_label) == (clinic_user, clinic_user.get_username())
    assert citizen.after == {"case": reported_case.pk, "content_type": "application/pdf", "size": len(PDF),
                             "sha256": by_citizen.sha256}


def test_an_empty_file_is_refused_by_name_on_the_evidence_field(db):
    with pytest.raises(InvalidInput, match="“blank.jpg” is empty.") as err:
        evidence_check([SimpleUploadedFile("blank.jpg", b"")])
    assert err.value.field == "evidence"


def test_the_size_and_count_refusals_are_on_the_evidence_field(db):
    too_big = [jpeg("big.jpg", JPEG + b"\x00" * MAX_EVIDENCE_BYTES)]
    for files in (too_big, [jpeg(f"{n}.jpg") for n in range(6)]):
        with pytest.raises(InvalidInput) as err:
            evidence_check(files)
        assert err.value.field == "evidence"


def test_a_file_name_is_kept_up_to_200_characters_and_cut_there(reported_case):
    # The column holds 200 characters: a name of 201 is cut to 200 (not refused by the database),
    # a name of 200 is kept whole.
    long_name = "Phiếu tiêm chủng " * 12 + "bản chụp.pdf"
    assert len(long_name) > 201
    for name, stored in ((long_name[:197] + ".pdf", long_name[:197] + ".pd"),
                         (long_name[:196] + ".pdf", long_name[:196] + ".pdf")):
        assert len(name) in (201, 200)
        (row,) = evidence_attach(case=reported_case, files=[SimpleUploadedFile(name, PDF)])
        row.refresh_from_db()
        assert (row.original_name, len(row.original_name)) == (stored, 200)
