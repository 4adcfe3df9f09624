"""The memory of feedsmith: every entry ever seen, what was read, what is not yet published, and
(in the same database) the newsletter's ledger.

    engines.py   which engine a store is on (SQLite file or PostgreSQL server); opening it
    database.py  what the store talks to: an open `Database`, and how times are written
    sqlite.py    the SQLite engine: the file, its lock, its errors
    postgres.py  the PostgreSQL engine: the server, its advisory lock, its errors
    schema.py    the tables, version by version, and migrating a database to the newest
    rows.py      entries <-> rows, column by name
    merge.py     one build's harvest into the store: why an item is "new"
    queries.py   reading entries back for feeds, pages and `feedsmith entries`
    copying.py   `feedsmith store copy`: a whole store into another engine
"""
