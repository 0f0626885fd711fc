"""Bulk work on record linkage: importing the citizen registry, matching a log against it,
importing injection logs (CSV or XLSX), and the review queue for uncertain matches.

`import_records` reads as its procedure (`pipeline`): read (`files`) -> validate (`validation`,
by the rule table `records.rules`; `report` writes the error lines) -> de-duplicate -> match
(`linking`, the engine over the citizens in the database) -> land (`landing`). On PostgreSQL the
same steps run set-wise in `pg` (`stage`, `classify` with the SQL error query of `rules`, `link`,
`run`). Beside it: `citizens` (`import_citizens`), `matchfile` (`match_records`), `reviews` (the
review decisions), `services` (an uploaded job queued) and `jobs` (a job run), `selectors`,
`tasks`, `views`. Management commands and pages are thin layers over these.
"""
