"""The COVID-19 vaccines used in Vietnam, with EU Digital COVID Certificate value-set codes.

EU DCC value sets: vaccine-medicinal-product (mp), vaccine-prophylaxis (vp),
vaccine-mah-manf (ma). Products without an EMA authorisation use the value sets' literal
codes (e.g. "BBIBP-CorV", "Sputnik-V").
"""

SARS_COV_2_MRNA = "1119349007"
SARS_COV_2_ANTIGEN = "1119305005"
COVID_19_VACCINES = "J07BX03"

VACCINES = [
    # code, name, brand, manufacturer, family, mp, vp, ma, aliases
    ("astrazeneca", "AstraZeneca", "Vaxzevria", "AstraZeneca AB", "astrazeneca",
     "EU/1/21/1529", COVID_19_VACCINES, "ORG-100001699",
     ["AstraZeneca", "Vaxzevria", "AZ", "Covishield", "ChAdOx1"]),
    ("pfizer", "Pfizer-BioNTech", "Comirnaty", "BioNTech Manufacturing GmbH", "pfizer",
     "EU/1/20/1528", SARS_COV_2_MRNA, "ORG-100030215",
     ["Pfizer", "Pfizer-BioNTech", "Comirnaty", "BNT162b2"]),
    ("moderna", "Moderna", "Spikevax", "Moderna Biotech Spain S.L.", "moderna",
     "EU/1/20/1507", SARS_COV_2_MRNA, "ORG-100031184",
     ["Moderna", "Spikevax", "mRNA-1273"]),
    ("sinopharm", "Sinopharm (Vero Cell)", "BBIBP-CorV", "Beijing Institute of Biological Products",
     "sinopharm", "BBIBP-CorV", COVID_19_VACCINES, "ORG-100020693",
     ["Sinopharm", "Vero Cell", "Verocell", "Sinopharm (Vero Cell)", "BBIBP-CorV"]),
    ("sputnik-v", "Sputnik V", "Gam-COVID-Vac", "Gamaleya Research Institute", "sputnik",
     "Sputnik-V", COVID_19_VACCINES, "Gamaleya-Research-Institute",
     ["Sputnik V", "Sputnik", "Gam-COVID-Vac"]),
    ("abdala", "Abdala", "Abdala (CIGB-66)", "Center for Genetic Engineering and Biotechnology",
     "abdala", "CIGB-66", SARS_COV_2_ANTIGEN, "CIGB", ["Abdala", "CIGB-66"]),
    ("janssen", "Janssen", "COVID-19 Vaccine Janssen", "Janssen-Cilag International NV",
     "janssen", "EU/1/20/1525", COVID_19_VACCINES, "ORG-100001417",
     ["Janssen", "Johnson & Johnson", "J&J", "Ad26.COV2.S"]),
    ("hayat-vax", "Hayat-Vax", "Hayat-Vax", "Gulf Pharmaceutical Industries (Julphar)",
     "sinopharm", "Hayat-Vax", COVID_19_VACCINES, "Julphar", ["Hayat-Vax", "Hayat Vax", "HayatVax"]),
    ("covaxin", "Covaxin", "Covaxin (BBV152)", "Bharat Biotech", "covaxin",
     "Covaxin", COVID_19_VACCINES, "Bharat-Biotech", ["Covaxin", "BBV152"]),
    ("novavax", "Novavax", "Nuvaxovid", "Novavax CZ a.s.", "novavax",
     "EU/1/21/1618", SARS_COV_2_ANTIGEN, "ORG-100032020", ["Novavax", "Nuvaxovid", "NVX-CoV2373"]),
]
