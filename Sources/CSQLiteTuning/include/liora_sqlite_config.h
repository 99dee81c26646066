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

#endif
