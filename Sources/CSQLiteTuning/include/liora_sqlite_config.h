#ifndef LIORA_SQLITE_CONFIG_H
#define LIORA_SQLITE_CONFIG_H

/// Turns on SQLite's query planner stability guarantee (SQLITE_DBCONFIG_ENABLE_QPSG) for the
/// connection `db` (an `sqlite3 *`). Returns SQLite's result code (0 when set).
///
/// Why: without it, SQLite 3.54 plans some statements with the values bound to them — the number
/// in `LIMIT $n`, a value compared with an equality term — and marks the statement to be compiled
/// again whenever such a parameter is bound anew. Every claim (`... LIMIT $3`) and lookup then paid
/// a full re-prepare on every run. With the guarantee a statement keeps one plan whatever is bound,
/// which is also what an operator wants: the same query never switches plans under load. Liora's
/// statements name their partial-index conditions as literals (`state = 'pending'`), so no plan
/// depends on a bound value.
int liora_sqlite_enable_stable_plans(void *db);

/// Whether the stability guarantee is on for `db` (1), off (0), or the query failed (-1).
int liora_sqlite_stable_plans(void *db);

/// Flushes the database file (not the WAL) of `db` (an `sqlite3 *`) to disk through SQLite's own
/// file handle (its VFS `xSync`). Returns SQLite's result code (0 when flushed).
///
/// Why through SQLite: closing any descriptor of the database file in this process would drop
/// the POSIX locks SQLite holds on it (https://sqlite.org/howtocorrupt.html, 2.2), so Liora
/// never opens the file itself. A PASSIVE checkpoint that does not reach the WAL's end copies
/// pages into the database file without flushing it; under a steady load that is every
/// checkpoint, and the flush the next complete checkpoint owes grows with them. The checkpointer
/// flushes it early, outside the writer's lock (see `Checkpointer` in SQLiteDatabase.swift).
int liora_sqlite_sync_database_file(void *db);

#endif
