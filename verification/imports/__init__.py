"""Bulk work on record linkage: importing the citizen registry, matching a log against it,
importing injection logs (CSV or XLSX), and the review queue for uncertain matches.

Modules: `files` (opening and checking a spreadsheet, streaming its rows), `validation`
(one row -> a clean record or line/column/reason errors), `report` (the error report CSV),
`linking` (the engine over the citizens in the database), `matchfile` (`match_records`), `citizens`
(`import_citizens`), `injections` (`import_records`), `reviews` (the review decisions),
`selectors`, `tasks`, `views`. Management commands and pages are thin layers over these.
"""
