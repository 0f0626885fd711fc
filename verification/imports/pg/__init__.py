"""The PostgreSQL fast path of `import_records`: COPY, validate, de-duplicate and link in SQL.

0. The work tables are UNLOGGED tables in a schema of this run (dropped at the end), not
   TEMP tables: a second connection can then take half of the rows of the two costly
   statements (cleaning, error lines), so that PostgreSQL uses both cores (`stage.Session`).
1. `stage`: the file goes into a staging table of text columns with its line numbers: a plain
   CSV is sent to ``COPY ... (FORMAT csv)`` as it is (when a quick byte scan shows that
   every record is one physical line, so line numbers stay exact); anything else (XLSX,
   quoted newlines, short rows...) is streamed row by row from the reader into COPY.
2. `classify`: one set-based statement cleans every row into the keys `records.rules` names,
   and the error query generated from that rule table (`imports.rules`) writes the error lines,
   so the messages are those of `validation.validate_report_row`. A row whose cells are not all
   in simple forms (non-ASCII digits, odd spaces in a date...) is validated by that Python
   function instead, so both paths agree exactly. Vaccine names are resolved once per distinct
   text with the Python lookup; names outside the Vietnamese/Latin alphabet are folded once per
   distinct name in Python. Invalid rows go to an error table, written out as the report (line
   order) at the end.
3. `link`: content hashes (md5 of the cells, as `validation.content_hash`) are computed in SQL;
   repeated rows and rows already in the `ImportedRow` ledger are dropped with an anti-join. When
   the ledger knows the file (a re-run), the lines it holds as landed are found right after the
   COPY (`classify.known_rows`) and not cleaned or checked again; they still count for the
   same-record-id rule.
4. `link`: deterministic linking: a row whose 12-digit CCCD (or 9-digit CMND held by exactly one
   citizen) belongs to a citizen with the same folded name and the same full date of
   birth, with no conflicting sex, phone or commune, and whose (name, birth year) is
   shared by no other citizen, is linked in SQL (ledger + injection record in one
   statement). This is stricter than the engine's ``linked``; `bench/import_speed.py`
   re-checks a sample against the engine.
5. `run`: everything else (reviews, cases, links that need scoring) goes through the linkage
   engine in batches and lands as on the portable path (`landing.Lander`).
"""
