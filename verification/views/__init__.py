"""Pages: the citizen's public pages (`public`) and the clinic's queue and case pages (`clinic`)."""
