// Connection settings that SQLite only offers through its variadic sqlite3_db_config (which Swift
// cannot call). See include/liora_sqlite_config.h.
#include "liora_sqlite_config.h"

typedef struct sqlite3 sqlite3;
extern int sqlite_nio_sqlite3_db_config(sqlite3 *, int op, ...);

/// SQLITE_DBCONFIG_ENABLE_QPSG in sqlite3.h.
#define LIORA_SQLITE_DBCONFIG_ENABLE_QPSG 1007

int liora_sqlite_enable_stable_plans(void *db) {
    int now = -1;
    return sqlite_nio_sqlite3_db_config((sqlite3 *)db, LIORA_SQLITE_DBCONFIG_ENABLE_QPSG, 1, &now);
}

int liora_sqlite_stable_plans(void *db) {
    int now = -1;
    if (sqlite_nio_sqlite3_db_config((sqlite3 *)db, LIORA_SQLITE_DBCONFIG_ENABLE_QPSG, -1, &now) != 0) return -1;
    return now;
}
