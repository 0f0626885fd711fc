"""Our vaccine products in the EU DCC value sets, and the doses of their primary series.

The codes themselves (``vp`` vaccine-prophylaxis, ``mp`` vaccine-medicinal-product, ``ma``
vaccine-mah-manf) are kept on ``records.VaccineProduct`` from ``records/catalogue.py``; this
module names the codes a certificate may carry, so a product whose code is not in the EU value
sets (or is deprecated there, as "Inactivated-SARS-CoV-2-Vero-Cell" is for BBIBP-CorV) is refused
with its name instead of being signed into a certificate nobody can read.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from vaxrecon.errors import InvalidInput

TARGET_COVID_19 = "840539006"  # disease-agent-targeted: COVID-19 (SNOMED CT)
PROPHYLAXIS = frozenset({"1119305005", "1119349007", "J07BX03"})
MEDICINAL_PRODUCTS = frozenset({
    "EU/1/20/1528", "EU/1/20/1507", "EU/1/21/1529", "EU/1/20/1525", "EU/1/21/1618",
    "BBIBP-CorV", "Sputnik-V", "CIGB-66", "Hayat-Vax", "Covaxin", "CoronaVac", "Covishield",
    "Convidecia", "EpiVacCorona", "Sputnik-Light", "NVX-CoV2373", "Abdala", "Soberana-02",
})
DEPRECATED = frozenset({"Inactivated-SARS-CoV-2-Vero-Cell"})
# Doses of the primary series by vaccine family (records.VaccineProduct.family).
PRIMARY_SERIES = {"janssen": 1}
DEFAULT_SERIES = 2


def series_doses(*, family: str, dose_number: int) -> int:
    """``sd`` of a dose: the primary series' length, or the dose number for a booster beyond it
    (the eHealth Network's rule: a first booster after a two-dose series is 3/3)."""
    return max(PRIMARY_SERIES.get(family, DEFAULT_SERIES), dose_number)


def check_product(vaccine) -> None:
    """Raise ``InvalidInput`` unless ``vaccine``'s codes are in the EU value sets."""
    mp, vp, ma = vaccine.eu_medicinal_product, vaccine.eu_vaccine_type, vaccine.eu_ma_holder
    if mp in DEPRECATED or mp not in MEDICINAL_PRODUCTS or vp not in PROPHYLAXIS or not ma:
        raise InvalidInput(_("The vaccine %(name)s has no valid EU DCC codes (product %(mp)s, "
                             "type %(vp)s); correct the vaccine catalogue first.")
                           % {"name": vaccine.name, "mp": mp or "-", "vp": vp or "-"})
