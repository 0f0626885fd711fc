"""Which (record, citizen) pairs are worth scoring, in three passes of widening reach.

* :meth:`Blocker.exact` – exact keys: CCCD, CMND, phone, name + birth year (without a
  year: the same name, a common one narrowed by ward and sex);
* :meth:`Blocker.broad` – for the records the exact keys did not settle: typo variants of
  the IDs and the phone, the same name in any birth year (or the year one off), and blocks
  that do not use the name (same birth date, same given name and year, same ward and year)
  filtered by fuzzy name similarity;
* :meth:`Blocker.scan` – the last resort for records nothing plausible was found for: the
  ward, a date slip together with a name typo, given names one edit away, family and given
  name without a year; the most similar names first.

Every pass returns two int64 arrays ``(r, c)``: positions in the
:class:`~verification.linkage.probes.ProbeBatch` and in the
:class:`~verification.linkage.index.CitizenIndex` (a pair may repeat; the engine scores
each once).
"""

from __future__ import annotations

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from .index import expand
from .keys import YEAR_BASE, YEAR_SLOTS, edit_variant_keys

# Exact-key blocks bigger than this are junk values shared by many (a facility's phone).
_ID_BLOCK_CAP = 50
_NAME_BLOCK_CAP = 2000
_SMALL_NAME_BLOCK = 64
_SCAN_LIMIT = 20
# ... and past it, the names exactly as similar as the last one kept (namesakes that the
# limit would cut at random), up to this many in all.
_SCAN_TIE_LIMIT = 200
# Fuzzy pre-filters (RapidFuzz 0..100) for the broad blocks; below these a candidate's
# name is too far off to be worth scoring.
_DOB_BLOCK_CUTOFF = 60.0
_GIVEN_BLOCK_CUTOFF = 70.0
_WARD_BLOCK_CUTOFF = 65.0
_SCAN_CUTOFF = 70.0
# Birth date one slip off (year one off, day and month swapped) and a name not in the
# registry: about one typo in the name.
_SLIP_CUTOFF = 85.0
# Names pre-filter for the broad blocks: the better of the token-sorted Indel ratio (a
# family name typed after the given name still scores high) and the plain Indel ratio
# (a typo in a token's first letter -- "guyen", "Tần", "uHỳnh" -- moves that token
# elsewhere in the sorted order, so the token-sorted ratio alone drops a near-identical
# name), 0..100. Same two orders the scorer's "fuzzy" level compares.
_BROAD_SCORER = fuzz.token_sort_ratio
_ORDERED_SCORER = fuzz.ratio
_SCAN_KNOWN_TOKENS = False
_EMPTY = np.empty(0, np.int64)


class Blocker:
    """The three passes over one index (caches of token neighbours and name objects are
    kept between batches)."""

    def __init__(self, index):
        self.index = index
        self._neighbours: dict[str, np.ndarray] = {}
        self._name_objects: np.ndarray | None = None

    # -- the passes -------------------------------------------------------------------------

    def exact(self, pb, idx: np.ndarray):
        ix = self.index
        rs, cs = [], []
        for rec, keys, block in self._id_keys(pb, idx):
            r, c = expand(block, rec, keys, _ID_BLOCK_CAP)
            rs.append(r)
            cs.append(c)
        nid, yr = pb.nid[idx].astype(np.int64), pb.year[idx].astype(np.int64)
        m = (nid >= 0) & (yr > 0)
        if m.any():
            r, c = expand(ix.by_name_year, idx[m], nid[m] * YEAR_SLOTS + (yr[m] - YEAR_BASE), _NAME_BLOCK_CAP)
            rs.append(r)
            cs.append(c)
        m = (nid >= 0) & (yr == 0)
        if m.any():
            # No birth year: the same name; a common name narrowed by ward and sex.
            sub, keys = idx[m], nid[m]
            small = ix.name_block_sizes(keys) <= _SMALL_NAME_BLOCK
            r, c = expand(ix.by_name, sub[small], keys[small])
            rs.append(r)
            cs.append(c)
            big = ~small
            if big.any():
                r, c = expand(ix.by_name, sub[big], keys[big], _NAME_BLOCK_CAP * 10)
                pw, ps = pb.ward[r], pb.sex[r]
                ok = ((pw == 0) | (ix.ward[c] == pw)) & ((ps == 0) | (ix.sex[c] == ps))
                rs.append(r[ok])
                cs.append(c[ok])
        return cat_pairs(rs, cs)

    def broad(self, pb, idx: np.ndarray):
        # Name typos: blocks that do not use the name, filtered by name similarity (all
        # records of the batch at once).
        named = idx[pb.has_name[idx]]
        parts = [self._id_typos(pb, idx), self._same_name(pb, idx), self._same_birth_date(pb, named),
                 self._same_given_year(pb, named), self._same_ward(pb, named)]
        return cat_pairs([r for r, _c in parts], [c for _r, c in parts])

    def scan(self, pb, idx: np.ndarray):
        ix = self.index
        ward = pb.ward[idx]
        m = ward > 0
        parts = [self._best(pb, *expand(ix.by_ward, idx[m], ward[m], _NAME_BLOCK_CAP * 5), _BROAD_SCORER,
                            _WARD_BLOCK_CUTOFF),
                 self._date_slips(pb, idx), self._given_neighbours(pb, idx), self._same_ends(pb, idx)]
        return cat_pairs([r for r, _c in parts], [c for _r, c in parts])

    # -- broad ------------------------------------------------------------------------------

    def _id_typos(self, pb, idx):
        """One digit wrong or two swapped in the ID numbers and the phone."""
        rs, cs = [], []
        for rec, keys, block in self._id_keys(pb, idx):
            variants, owner = edit_variant_keys(keys)
            r, c = expand(block, rec[owner], variants, _ID_BLOCK_CAP)
            rs.append(r)
            cs.append(c)
        return cat_pairs(rs, cs)

    def _id_keys(self, pb, idx):
        """(records, their keys, the block) for each of CCCD, CMND and phone that some of
        the records have."""
        ix = self.index
        for keys, block in ((pb.cccd, ix.by_cccd), (pb.cmnd, ix.by_cmnd), (pb.phone, ix.by_phone)):
            k = keys[idx]
            m = k > 0
            if m.any():
                yield idx[m], k[m], block

    def _same_name(self, pb, idx):
        """Same name, any birth year (a wrong year) when the name is not common; else the
        birth year typed one off."""
        ix = self.index
        nid, yr = pb.nid[idx].astype(np.int64), pb.year[idx].astype(np.int64)
        has = nid >= 0
        small = has & (ix.name_block_sizes(np.maximum(nid, 0)) <= _SMALL_NAME_BLOCK)
        r, c = expand(ix.by_name, idx[small], nid[small])
        rs, cs = [r], [c]
        big = has & ~small & (yr > 0)
        for delta in (-1, 1):
            r, c = expand(ix.by_name_year, idx[big], nid[big] * YEAR_SLOTS + (yr[big] + delta - YEAR_BASE),
                          _NAME_BLOCK_CAP)
            rs.append(r)
            cs.append(c)
        return cat_pairs(rs, cs)

    def _same_birth_date(self, pb, named):
        dob = pb.dob[named].astype(np.int64)
        m = dob > 0
        r, c = expand(self.index.by_dob, named[m], dob[m], _NAME_BLOCK_CAP)
        return self._filter(pb, *cat_pairs([r], [c]), _DOB_BLOCK_CUTOFF, ordered=True)

    def _same_given_year(self, pb, named):
        """Same first or last token as given name, same birth year. A name the registry
        does not hold exactly (a typo somewhere) also gets the plain ratio's second chance:
        a typo in a token's first letter ("ăVn", "cia", "hTanh") moves that token in the
        sorted order, so the token-sorted ratio alone drops a name one typo away; names the
        registry holds were already searched in every birth year."""
        yr = pb.year[named].astype(np.int64)
        ys = yr - YEAR_BASE
        g_r, g_c = [], []
        for toks in (pb.first[named].astype(np.int64), pb.last[named].astype(np.int64)):
            m = (yr > 0) & (toks >= 0)
            r, c = expand(self.index.by_given_year, named[m], toks[m] * YEAR_SLOTS + ys[m], _NAME_BLOCK_CAP)
            g_r.append(r)
            g_c.append(c)
        return self._filter(pb, *cat_pairs(g_r, g_c), _GIVEN_BLOCK_CUTOFF, ordered=~pb.known_name)

    def _same_ward(self, pb, named):
        """Same ward and birth year (without a year: the same ward)."""
        ix = self.index
        yr, ward = pb.year[named].astype(np.int64), pb.ward[named]
        ys = yr - YEAR_BASE
        m = (yr > 0) & (ward > 0)
        w_r = [expand(ix.by_ward_year, named[m], ward[m] * YEAR_SLOTS + ys[m], _NAME_BLOCK_CAP)]
        m = (yr == 0) & (ward > 0)
        w_r.append(expand(ix.by_ward, named[m], ward[m], _NAME_BLOCK_CAP))
        return self._filter(pb, *cat_pairs([x[0] for x in w_r], [x[1] for x in w_r]), _WARD_BLOCK_CUTOFF,
                            ordered=True)

    # -- scan -------------------------------------------------------------------------------

    def _date_slips(self, pb, idx):
        """A date slip together with a name typo: a name the registry holds exactly was
        already searched in every birth year, so only names it does not hold; the date
        disagrees, so the name must be one slip away too."""
        typo = idx[~pb.known_name[idx]]
        rec, keys = dob_slips(typo, pb.dob[typo])
        if not len(rec):
            return _EMPTY, _EMPTY
        return self._filter(pb, *expand(self.index.by_dob, rec, keys, _NAME_BLOCK_CAP), _SLIP_CUTOFF,
                            ordered=True)

    def _given_neighbours(self, pb, idx):
        """Given names one edit away, same birth year (best names first)."""
        ix = self.index
        recs, keys = [], []
        for b in idx.tolist():
            p = pb.probes[b]
            if not p.year:
                continue
            known = {int(pb.first[b]), int(pb.last[b])}  # already searched in the broad tier
            ys = p.year - YEAR_BASE
            for tok in {p.tokens[0], p.tokens[-1]}:
                if _SCAN_KNOWN_TOKENS or not ix.knows_token(tok):
                    for t in self._neighbour_tokens(tok).tolist():
                        if t not in known:
                            recs.append(b)
                            keys.append(t * YEAR_SLOTS + ys)
        if not recs:
            return _EMPTY, _EMPTY
        r, c = expand(ix.by_given_year, np.array(recs, np.int64), np.array(keys, np.int64), _NAME_BLOCK_CAP)
        # Token-sorted or plain: the given name may come first ("TThanh Hoàng Thị").
        return self._best(pb, r, c, _BROAD_SCORER, _SCAN_CUTOFF, ordered=True)

    def _same_ends(self, pb, idx):
        """No birth year: same family and given name, or (a pair the registry does not hold)
        one of the two one edit away ("NNgô … Tiến", "Huynh … Hienn")."""
        several = (np.array([len(pb.probes[b].tokens) for b in idx.tolist()]) >= 2 if len(idx)
                   else np.zeros(0, bool))
        no_year = (pb.year[idx] == 0) & several
        m = no_year & (pb.eid[idx] >= 0)
        recs, keys = [idx[m]], [pb.eid[idx[m]].astype(np.int64)]
        rec, key = self._ends_neighbours(pb, idx[no_year & ~pb.known_ends[idx]])
        recs.append(rec)
        keys.append(key)
        rec, key = cat_pairs(recs, keys)
        if not len(rec):
            return _EMPTY, _EMPTY
        r, c = expand(self.index.by_ends, rec, key, _NAME_BLOCK_CAP * 5)
        return self._best(pb, r, c, fuzz.token_sort_ratio, 0)

    def _ends_neighbours(self, pb, idx):
        """(record, "family given" id) for the registry's pairs with the family or the given
        name one edit from the record's."""
        ix = self.index
        tokens, ends_ids = ix.tokens, ix.ends_ids
        recs, keys = [], []
        for b in idx.tolist():
            toks = pb.probes[b].tokens
            family, given = toks[0], toks[-1]
            found = {ends_ids.get(tokens[t] + " " + given) for t in self._neighbour_tokens(family).tolist()}
            found |= {ends_ids.get(family + " " + tokens[t]) for t in self._neighbour_tokens(given).tolist()}
            found.discard(None)
            recs.extend([b] * len(found))
            keys.extend(found)
        return np.array(recs, np.int64), np.array(keys, np.int64)

    # -- name similarity --------------------------------------------------------------------

    def _similarity(self, pb, r: np.ndarray, c: np.ndarray, scorer, cutoff: float, *,
                    ordered=False) -> np.ndarray:
        """Name similarity (0..100, 0 below ``cutoff``) of each pair, each distinct (record,
        name) pair computed once, all in one RapidFuzz call. ``ordered`` (with the broad
        token-sorted scorer): pairs below ``cutoff`` get a second chance with the plain
        ratio, for blocks whose key (birth date, ward) is strong evidence on its own; a
        boolean array over the batch's records gives it to those records' pairs only."""
        if not len(r):
            return np.zeros(0, np.float32)
        ix = self.index
        nid = ix.name[c].astype(np.int64)
        m = max(len(ix.names), 1)
        key = r * m + np.maximum(nid, 0)
        uniq, inv = np.unique(key, return_inverse=True)
        queries = _objects(pb, "_folded_objects", pb.folded_list)[uniq // m]
        choices = _objects(self, "_name_objects", lambda: ix.names)[uniq % m]
        sims = process.cpdist(queries, choices, scorer=scorer, score_cutoff=cutoff or None, dtype=np.float32)
        chance = ordered if isinstance(ordered, np.ndarray) else np.full(len(pb), bool(ordered))
        if scorer is _BROAD_SCORER and chance.any():
            low = np.flatnonzero((sims < max(cutoff, 1e-6)) & chance[uniq // m])
            if len(low):
                plain = process.cpdist(queries[low], choices[low], scorer=_ORDERED_SCORER,
                                       score_cutoff=cutoff or None, dtype=np.float32)
                sims[low] = np.maximum(sims[low], plain)
        out = sims[inv]
        out[nid < 0] = 0
        return out

    def _filter(self, pb, r: np.ndarray, c: np.ndarray, cutoff: float, scorer=None, *,
                ordered=False):
        """The pairs whose names are at least ``cutoff`` similar."""
        if not len(r):
            return r, c
        sims = self._similarity(pb, r, c, scorer or _BROAD_SCORER, cutoff, ordered=ordered)
        keep = sims >= max(cutoff, 1e-6)
        return r[keep], c[keep]

    def _best(self, pb, r: np.ndarray, c: np.ndarray, scorer, cutoff: float, *, ordered=False):
        """Per record, up to ``_SCAN_LIMIT`` pairs (sex not contradicting) with the most
        similar names, at least ``cutoff``; when the limit falls inside a run of equally similar
        names (namesakes), the whole run, up to ``_SCAN_TIE_LIMIT``."""
        if not len(r):
            return r, c
        ps, cs_ = pb.sex[r], self.index.sex[c]
        ok = (ps == 0) | (cs_ == 0) | (ps == cs_)
        r, c = r[ok], c[ok]
        sims = self._similarity(pb, r, c, scorer, cutoff, ordered=ordered)
        ok = (sims >= cutoff) & (sims > 0)
        r, c, sims = r[ok], c[ok], sims[ok]
        if not len(r):
            return r, c
        order = np.lexsort((c, -sims, r))
        r, c, sims = r[order], c[order], sims[order]
        starts = np.r_[0, np.flatnonzero(r[1:] != r[:-1]) + 1]
        sizes = np.diff(np.r_[starts, len(r)])
        rank = np.arange(len(r)) - np.repeat(starts, sizes)
        # The similarity of each record's last slot: names as similar as it are kept too.
        last = np.repeat(sims[starts + np.minimum(sizes, _SCAN_LIMIT) - 1], sizes)
        keep = (rank < _SCAN_LIMIT) | ((sims >= last) & (rank < _SCAN_TIE_LIMIT))
        return r[keep], c[keep]

    def _neighbour_tokens(self, tok: str) -> np.ndarray:
        """Ids of the registry's name tokens at most one edit from ``tok``."""
        got = self._neighbours.get(tok)
        if got is None:
            ix = self.index
            hits = process.extract(tok, ix.tokens, scorer=OSA.distance, score_cutoff=1, limit=None)
            got = self._neighbours[tok] = np.array([k for _t, _d, k in hits], dtype=np.int64)
        return got


def dob_slips(rec: np.ndarray, dob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(record, yyyymmdd) for the common slips of a full birth date: the year one off
    (same day and month) and day and month swapped. Impossible dates are left in: they
    match no citizen."""
    rec = np.asarray(rec, dtype=np.int64)
    dob = np.asarray(dob, dtype=np.int64)
    full = dob > 0
    rec, dob = rec[full], dob[full]
    y, md = dob // 10000, dob % 10000
    mo, d = md // 100, md % 100
    swap = (d <= 12) & (d != mo)
    recs = [rec, rec, rec[swap]]
    keys = [dob - 10000, dob + 10000, (y * 10000 + d * 100 + mo)[swap]]
    return np.concatenate(recs), np.concatenate(keys)


def cat_pairs(rs: list, cs: list):
    """The (r, c) pieces as one pair of int64 arrays (empty pieces left out)."""
    rs = [r for r in rs if len(r)]
    cs = [c for c in cs if len(c)]
    if not rs:
        return _EMPTY, _EMPTY
    return np.concatenate(rs).astype(np.int64), np.concatenate(cs).astype(np.int64)


def _objects(owner, attr: str, strings) -> np.ndarray:
    """``strings()`` as a numpy object array, made once per owner (fancy indexing it is
    several times faster than a list comprehension)."""
    got = getattr(owner, attr, None)
    if got is None:
        values = strings()
        got = np.empty(len(values), dtype=object)
        got[:] = values
        setattr(owner, attr, got)
    return got
