"""Sex: agree or disagree (u = 1/2 either way)."""

from __future__ import annotations

import numpy as np

from .params import FieldScorer, log2

SEX_LEVELS = ("", "agree", "disagree")


class SexScorer(FieldScorer):
    field = "sex"

    def __init__(self, index, params, lm, log_n):
        super().__init__(index, params, lm, log_n)
        self.weight = np.array([0.0, lm["sex"]["agree"] - log2(0.5), lm["sex"]["disagree"] - log2(0.5)])

    def score(self, pb, r, c):
        ps, cs = pb.sex[r], self.index.sex[c]
        lv = np.where((ps > 0) & (cs > 0), np.where(ps == cs, 1, 2), 0).astype(np.int8)
        return lv, self.weight[lv]
