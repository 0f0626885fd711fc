"""Identity numbers: the record's CCCD against the citizen's CCCD, else its CMND against the
CMND; exact, one typo (a digit changed or two swapped) or disagree. An exact number is
one-in-N evidence; a typo is discounted by how many other citizens sit one typo away."""

from __future__ import annotations

import numpy as np

from ..keys import one_edit_apart_keys
from .params import FieldScorer, log2

ID_LEVELS = ("", "exact", "typo", "disagree")


def typo_levels(mine: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """Level codes of two digit-key columns: 1 exact, 2 one edit apart, 3 disagree, 0 when
    either side is missing."""
    present = (mine > 0) & (theirs > 0)
    lv = np.where(present, 3, 0).astype(np.int8)
    diff = present & (mine != theirs)
    if diff.any():
        k = np.flatnonzero(diff)
        lv[k[one_edit_apart_keys(mine[k], theirs[k])]] = 2
    lv[present & (mine == theirs)] = 1
    return lv


class IdScorer(FieldScorer):
    field = "id"

    def __init__(self, index, params, lm, log_n):
        super().__init__(index, params, lm, log_n)
        # A number one typo away is no rarer among other citizens than the number itself (u of
        # the exact level is 1/N): below one neighbour the typo would outweigh an exact number.
        self.weight = np.array([0.0, lm["id"]["exact"] + log_n,
                                lm["id"]["typo"] + log_n - log2(max(params.id_typo_neighbours, 1.0)),
                                lm["id"]["disagree"]])

    def score(self, pb, r, c):
        ix = self.index
        pcccd = pb.cccd[r]
        use_cccd = pcccd > 0
        mine = np.where(use_cccd, pcccd, pb.cmnd[r])
        theirs = np.where(use_cccd, ix.cccd[c], ix.cmnd[c])
        lv = typo_levels(mine, theirs)
        return lv, self.weight[lv]
