"""Names: exact (accents and all), folded, reordered, partial (a middle name left out),
typo, fuzzy, merged (the same letters with the words run together or split elsewhere:
"Thanhhương", "Ng Uyễn") or disagree.

Similarity is on RapidFuzz's 0..100 scale (Indel ratio of the folded names, the better of
as-written and tokens-sorted). Vietnamese names share long family + middle prefixes
("nguyen van "), so the ratio alone is not trusted: a "typo" is one token one edit away with
the others equal, and "fuzzy" also needs the given name within one edit. The levels that
integer ids settle (exact, folded, reordered) are found vectorised; the rest go through
:func:`name_level` once per distinct (record name, citizen name).
"""

from __future__ import annotations

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from .params import FieldScorer, log2

FUZZY_LOW = 70.0

# Level codes (0 = a name missing on either side).
NAME_LEVELS = ("", "exact", "folded", "reordered", "partial", "typo", "fuzzy", "disagree", "merged")
_MERGED = 8
_NAME_CODE = {lvl: k for k, lvl in enumerate(NAME_LEVELS) if lvl}


def name_level(probe, accent: str, folded: str) -> str:
    """Comparison level of two names (the record's prepared in ``probe``, a
    :class:`~verification.linkage.probes.Probe`)."""
    if probe.has_marks and probe.accent == accent:
        return "exact"
    if probe.folded == folded:
        return "folded"
    ctoks = folded.split()
    if probe.sorted_folded == " ".join(sorted(ctoks)):
        return "reordered"
    if probe.folded.replace(" ", "") == folded.replace(" ", ""):
        return "merged"
    ptoks = probe.tokens
    if _partial(ptoks, ctoks):
        return "partial"
    if _one_token_typo(ptoks, ctoks):
        return "typo"
    if ptoks and ctoks and _fuzzy(probe, folded, ptoks, ctoks):
        return "fuzzy"
    return "disagree"


def _partial(ptoks, ctoks) -> bool:
    """A middle name left out: family and given names agree, the rest is contained."""
    if ptoks and ctoks and len(ptoks) != len(ctoks):
        short, long_ = (ptoks, ctoks) if len(ptoks) < len(ctoks) else (ctoks, ptoks)
        return (len(short) >= 2 and short[0] == long_[0] and short[-1] == long_[-1]
                and set(short) <= set(long_))
    return False


def _one_token_typo(ptoks, ctoks) -> bool:
    """One token one edit (OSA: substitution, insertion, deletion, adjacent swap) away, as
    written or tokens-sorted."""
    if len(ptoks) == len(ctoks):
        for a_toks, b_toks in ((ptoks, ctoks), (sorted(ptoks), sorted(ctoks))):
            diffs = [(a, b) for a, b in zip(a_toks, b_toks) if a != b]
            if len(diffs) == 1 and OSA.distance(diffs[0][0], diffs[0][1], score_cutoff=1) <= 1:
                return True
    return False


def _fuzzy(probe, folded: str, ptoks, ctoks) -> bool:
    """The given name within one edit (either end, for a reordered name) and the whole name
    at least :data:`FUZZY_LOW` similar."""
    given_close = OSA.distance(ptoks[-1], ctoks[-1], score_cutoff=1) <= 1 or (
        OSA.distance(ptoks[0], ctoks[-1], score_cutoff=1) <= 1
        or OSA.distance(ptoks[-1], ctoks[0], score_cutoff=1) <= 1
    )
    if not given_close:
        return False
    sim = fuzz.ratio(probe.folded, folded)
    if sim < FUZZY_LOW:
        sim = fuzz.ratio(probe.sorted_folded, " ".join(sorted(ctoks)))
    return sim >= FUZZY_LOW


class NameScorer(FieldScorer):
    field = "name"

    def __init__(self, index, params, lm, log_n):
        super().__init__(index, params, lm, log_n)
        # Weights before the term-frequency part: [table][level code]; table 0 for a record
        # name written with diacritics, 1 for one without.
        tab = np.zeros((2, len(NAME_LEVELS)))
        for t, table in enumerate(("name", "name_plain")):
            for code, lvl in enumerate(NAME_LEVELS):
                if code:
                    tab[t, code] = lm[table].get(lvl, log2(1e-9))
            tab[t, 5] -= log2(params.u_name_typo)
            tab[t, 6] -= log2(params.u_name_fuzzy)
        self.tab = tab
        self._cache: dict = {}

    def score(self, pb, r, c):
        ix = self.index
        n = len(r)
        cn = ix.name[c]
        pn = pb.nid[r]
        present = pb.has_name[r] & (cn >= 0)
        cn0 = np.where(cn >= 0, cn, 0)
        marks = pb.marks[r]
        lv = np.zeros(n, np.int8)
        lv[present] = 7
        reordered = present & (pb.sid[r] == ix.name_sorted[cn0]) & (pb.sid[r] >= 0)
        lv[reordered] = 3
        folded = present & (pn == cn)
        lv[folded] = 2
        lv[folded & marks & (pb.aid[r] == ix.accent[c])] = 1
        rest = np.flatnonzero(lv == 7)
        if len(rest):
            lv[rest] = self._string_levels(pb, r[rest].tolist(), cn[rest].tolist())
        table = np.where(marks, 0, 1)
        w = self.tab[table, lv]
        # The same name, as far as the registry can tell: weighed by how many citizens bear it.
        tfl = ((lv >= 1) & (lv <= 3)) | (lv == _MERGED)
        w = np.where(tfl, w + self.tf(ix.name_count[cn0]), w)
        part = lv == 4
        if part.any():
            w = np.where(part, w + self.tf(ix.ends_count[np.maximum(ix.name_ends[cn0], 0)]), w)
        return lv, np.where(present, w, 0.0)

    def _string_levels(self, pb, records: list[int], names: list[int]) -> list[int]:
        """Level codes of the pairs integer ids do not settle, through a cache."""
        cache = self._cache
        if len(cache) > 500_000:
            cache.clear()
        probes, folded = pb.probes, self.index.names
        codes = []
        for k, ci in zip(records, names):
            p = probes[k]
            key = (p.folded, ci)
            code = cache.get(key)
            if code is None:
                code = cache[key] = _NAME_CODE[name_level(p, "", folded[ci])]
            codes.append(code)
        return codes
