"""Clinic staff's pages: the queue of cases their facility answers for (`queue`), one case's page
(`case_page`), and one POST view per action on a case (`case_actions`)."""
