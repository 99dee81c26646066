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

// sqlite3_file and the start of sqlite3_io_methods, as in sqlite3.h (a stable, documented ABI:
// https://sqlite.org/c3ref/io_methods.html); only xSync is called.
typedef struct sqlite3_file sqlite3_file;
struct liora_sqlite3_io_methods {
    int iVersion;
    int (*xClose)(sqlite3_file *);
    int (*xRead)(sqlite3_file *, void *, int, long long);
    int (*xWrite)(sqlite3_file *, const void *, int, long long);
    int (*xTruncate)(sqlite3_file *, long long);
    int (*xSync)(sqlite3_file *, int flags);
};
struct sqlite3_file {
    const struct liora_sqlite3_io_methods *pMethods;
};
extern int sqlite_nio_sqlite3_file_control(sqlite3 *, const char *, int, void *);

#define LIORA_SQLITE_FCNTL_FILE_POINTER 7
#define LIORA_SQLITE_SYNC_NORMAL 0x00002
#define LIORA_SQLITE_MISUSE 21

int liora_sqlite_sync_database_file(void *db) {
    sqlite3_file *file = 0;
    int rc = sqlite_nio_sqlite3_file_control((sqlite3 *)db, "main", LIORA_SQLITE_FCNTL_FILE_POINTER, &file);
    if (rc != 0) return rc;
    if (file == 0 || file->pMethods == 0 || file->pMethods->xSync == 0) return LIORA_SQLITE_MISUSE;
    return file->pMethods->xSync(file, LIORA_SQLITE_SYNC_NORMAL);
}
