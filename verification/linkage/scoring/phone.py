"""Phones: exact (weighed by how many citizens share the number: a household's, a
facility's), one typo, or disagree (common: people change numbers)."""

from __future__ import annotations

import numpy as np

from .identity import typo_levels
from .params import FieldScorer, log2

PHONE_LEVELS = ("", "exact", "typo", "disagree")


class PhoneScorer(FieldScorer):
    field = "phone"

    def score(self, pb, r, c):
        lv = typo_levels(pb.phone[r], self.index.phone[c])
        ph = self.lm["phone"]
        w = np.where(lv == 1, ph["exact"] + self.tf(self.index.phone_count[c]), 0.0)
        w = np.where(lv == 2, ph["typo"] + self.log_n - log2(max(self.params.phone_typo_neighbours, 1e-3)), w)
        return lv, np.where(lv == 3, ph["disagree"], w)
