"""Where the person lives: the same ward, the same province only, or elsewhere. A record
with a province but no ward agrees at "ward or province" odds."""

from __future__ import annotations

import numpy as np

from .params import FieldScorer, log2

WARD_LEVELS = ("", "ward", "province", "disagree")


class WardScorer(FieldScorer):
    field = "ward"

    def score(self, pb, r, c):
        ix = self.index
        pw, cw = pb.ward[r], ix.ward[c]
        pp, cp = pb.province[r], ix.province[c]
        both_ward = (pw > 0) & (cw > 0)
        both_prov = (pp > 0) & (cp > 0)
        lv = np.zeros(len(r), np.int8)
        lv[both_ward] = 3
        lv[both_ward & both_prov & (pp == cp)] = 2
        lv[both_ward & (pw == cw)] = 1
        prov_only = ~both_ward & both_prov
        lv[prov_only] = np.where(pp[prov_only] == cp[prov_only], 2, 3)
        wd = self.lm["ward"]
        m = self.params.m["ward"]
        w = np.zeros(len(r))
        w = np.where(lv == 1, wd["ward"] + self.tf(ix.ward_count[cw]), w)
        pcount = self.tf(ix.province_count[cp])
        w = np.where((lv == 2) & both_ward, wd["province"] + pcount, w)
        w = np.where((lv == 2) & prov_only, log2(m["ward"] + m["province"]) + pcount, w)
        return lv, np.where(lv == 3, wd["disagree"], w)
