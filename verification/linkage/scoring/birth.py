"""Birth dates: exact, day and month swapped, close (a few days off, one digit off, the year
one off), the same year only, or disagree; and, when one side has only the year, the
year agrees or not. Exact dates weigh by how many citizens share the date, years by how many
were born that year."""

from __future__ import annotations

import numpy as np

from ..keys import one_edit_apart_keys
from .params import FieldScorer

# Birth dates at most this many days apart count as "close" (typed one day off, 10 off).
CLOSE_DAYS = 10

# Level codes; 1-5 compare two full dates, 6-7 a year with a year.
DOB_LEVELS = ("", "exact", "swap", "close", "year", "disagree", "year", "disagree")


class BirthScorer(FieldScorer):
    field = "dob"

    def score(self, pb, r, c):
        ix = self.index
        n = len(r)
        py, cy = pb.year[r], ix.year[c]
        pd, cd = pb.dob[r].astype(np.int64), ix.dob[c].astype(np.int64)
        present = (py > 0) & (cy > 0)
        full = present & (pd > 0) & (cd > 0)
        yonly = present & ~full
        lv = np.zeros(n, np.int8)
        same_year = pd // 10000 == cd // 10000
        pm, pdd, cm, cdd = pd // 100 % 100, pd % 100, cd // 100 % 100, cd % 100
        lv[full] = 5
        lv[full & same_year] = 4
        close = (np.abs(pb.dord[r].astype(np.int64) - ix.dord[c]) <= CLOSE_DAYS) & (pb.dord[r] > 0) \
            & (ix.dord[c] > 0)
        close |= (pm == cm) & (pdd == cdd) & (np.abs(pd // 10000 - cd // 10000) == 1)
        cand = full & ~close
        if cand.any():
            # One digit typed wrong or two adjacent digits swapped (8-digit dates).
            k = np.flatnonzero(cand)
            oe = one_edit_apart_keys(pd[k] + 100_000_000, cd[k] + 100_000_000)
            close[k[oe]] = True
        lv[full & close] = 3
        lv[full & same_year & (pm == cdd) & (pdd == cm)] = 2
        lv[full & (pd == cd)] = 1
        lv[yonly] = np.where(py[yonly] == cy[yonly], 6, 7)
        return lv, self._weights(lv, ix.year_count[cy], c)

    def _weights(self, lv, ycount, c):
        ix, lm, log_n = self.index, self.lm, self.log_n
        w = np.zeros(len(lv))
        dl = lm["dob"]
        w = np.where(lv == 1, dl["exact"] + self.tf(ix.dob_count[c]), w)
        w = np.where(lv == 2, dl["swap"] + log_n - np.log2(np.maximum(ycount / 365.0, 1)), w)
        w = np.where(lv == 3, dl["close"] + log_n
                     - np.log2(np.maximum(ycount * (2 * CLOSE_DAYS + 8) / 365.0, 1)), w)
        w = np.where(lv == 4, dl["year"] + self.tf(ycount), w)
        w = np.where(lv == 5, dl["disagree"], w)
        w = np.where(lv == 6, lm["dob_year"]["year"] + self.tf(ycount), w)
        return np.where(lv == 7, lm["dob_year"]["disagree"], w)
