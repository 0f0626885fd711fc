"""A certificate's refusal is said in the reader's language: Vietnamese by default, the same
English as before when English is chosen."""

import datetime as dt

import pytest
from django.utils import translation

from signing import pki
from signing.errors import CertificateRejected

DAY = dt.timedelta(days=1)


@pytest.fixture
def expired(issuing_ca, now):
    key = pki.generate_key("ec")
    return pki.issue_signer_certificate(issuing_ca, key.public_key(), organisation="UBND xã Tân Phú",
                                        unit="Xã Tân Phú, Đồng Nai", person="Nguyễn Thị Hồng Nhung",
                                        not_before=now - 10 * DAY, valid_days=5)


@pytest.mark.parametrize(("language", "words"), [
    ("vi", "Chứng thư số 'Nguyễn Thị Hồng Nhung' đã hết hạn vào lúc"),
    ("en", "Certificate 'Nguyễn Thị Hồng Nhung' had expired at"),
])
def test_an_expired_certificate_is_refused_in_the_readers_language(expired, issuing_ca, root_ca, now,
                                                                   language, words):
    with translation.override(language), pytest.raises(CertificateRejected) as excinfo:
        pki.verify_chain(expired, [issuing_ca.certificate], [root_ca.certificate], at=now)

    assert excinfo.value.reason == CertificateRejected.EXPIRED
    assert excinfo.value.message.startswith(words)


def test_an_untrusted_root_is_said_in_vietnamese(expired, issuing_ca, now):
    with translation.override("vi"), pytest.raises(CertificateRejected) as excinfo:
        pki.verify_chain(expired, [], [], at=now)

    assert "Không tìm thấy tổ chức cấp đáng tin cậy cho 'Nguyễn Thị Hồng Nhung'" in excinfo.value.message
