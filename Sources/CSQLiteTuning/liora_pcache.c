// A wrapper around SQLite's default page cache; see include/liora_pcache.h for why.
//
// The sqlite3_pcache_methods2 declarations below mirror sqlite3.h (a stable, documented ABI:
// https://sqlite.org/c3ref/pcache_methods2.html). The functions come from the SQLite that
// sqlite-nio compiles in, under its `sqlite_nio_` prefix; they are resolved when the binary links.
#include "liora_pcache.h"

#include <stdatomic.h>
#include <stdlib.h>

typedef struct sqlite3_pcache sqlite3_pcache;
typedef struct sqlite3_pcache_page {
    void *pBuf;
    void *pExtra;
} sqlite3_pcache_page;
typedef struct sqlite3_pcache_methods2 {
    int iVersion;
    void *pArg;
    int (*xInit)(void *);
    void (*xShutdown)(void *);
    sqlite3_pcache *(*xCreate)(int szPage, int szExtra, int bPurgeable);
    void (*xCachesize)(sqlite3_pcache *, int nCachesize);
    int (*xPagecount)(sqlite3_pcache *);
    sqlite3_pcache_page *(*xFetch)(sqlite3_pcache *, unsigned key, int createFlag);
    void (*xUnpin)(sqlite3_pcache *, sqlite3_pcache_page *, int discard);
    void (*xRekey)(sqlite3_pcache *, sqlite3_pcache_page *, unsigned oldKey, unsigned newKey);
    void (*xTruncate)(sqlite3_pcache *, unsigned iLimit);
    void (*xDestroy)(sqlite3_pcache *);
    void (*xShrink)(sqlite3_pcache *);
} sqlite3_pcache_methods2;

extern int sqlite_nio_sqlite3_config(int, ...);

#define LIORA_SQLITE_CONFIG_PCACHE2 18
#define LIORA_SQLITE_CONFIG_GETPCACHE2 19
#define LIORA_SQLITE_NOMEM 7
/// SQLite's PENDING_BYTE (sqliteInt.h); sqlite-nio does not change it.
#define LIORA_PENDING_BYTE 0x40000000u

/// One cache: the default cache's own object and the largest page number it can hold.
typedef struct LioraCache {
    sqlite3_pcache *inner;
    /// No page with a larger number is in the cache (pages parked at `scratchKey` excepted).
    unsigned maxKey;
    /// The locking page's number: balance_nonroot parks a page there while it swaps two.
    unsigned scratchKey;
} LioraCache;

static sqlite3_pcache_methods2 base;
static atomic_int installed;
static atomic_ullong skipped;
static atomic_ullong forwarded;
static atomic_ullong parked;

static int wrapInit(void *arg) { return base.xInit != NULL ? base.xInit(arg) : 0; }
static void wrapShutdown(void *arg) {
    if (base.xShutdown != NULL) base.xShutdown(arg);
}

static sqlite3_pcache *wrapCreate(int szPage, int szExtra, int bPurgeable) {
    LioraCache *cache = malloc(sizeof(LioraCache));
    if (cache == NULL) return NULL;
    cache->inner = base.xCreate(szPage, szExtra, bPurgeable);
    if (cache->inner == NULL) {
        free(cache);
        return NULL;
    }
    cache->maxKey = 0;
    cache->scratchKey = szPage > 0 ? LIORA_PENDING_BYTE / (unsigned)szPage + 1 : 0;
    return (sqlite3_pcache *)cache;
}

static void wrapCachesize(sqlite3_pcache *p, int n) { base.xCachesize(((LioraCache *)p)->inner, n); }
static int wrapPagecount(sqlite3_pcache *p) { return base.xPagecount(((LioraCache *)p)->inner); }

static sqlite3_pcache_page *wrapFetch(sqlite3_pcache *p, unsigned key, int createFlag) {
    LioraCache *cache = (LioraCache *)p;
    sqlite3_pcache_page *page = base.xFetch(cache->inner, key, createFlag);
    if (page != NULL && key > cache->maxKey) cache->maxKey = key;
    return page;
}

static void wrapUnpin(sqlite3_pcache *p, sqlite3_pcache_page *page, int discard) {
    base.xUnpin(((LioraCache *)p)->inner, page, discard);
}

static void wrapRekey(sqlite3_pcache *p, sqlite3_pcache_page *page, unsigned oldKey, unsigned newKey) {
    LioraCache *cache = (LioraCache *)p;
    base.xRekey(cache->inner, page, oldKey, newKey);
    // A page parked at the scratch number is moved on before SQLite returns from the balance (it
    // is never a real page), so it does not raise the bound. Any other new number does.
    if (newKey == cache->scratchKey) {
        atomic_fetch_add_explicit(&parked, 1, memory_order_relaxed);
    } else if (newKey > cache->maxKey) {
        cache->maxKey = newKey;
    }
}

static void wrapTruncate(sqlite3_pcache *p, unsigned limit) {
    LioraCache *cache = (LioraCache *)p;
    if (limit > cache->maxKey) {
        // No page numbered `limit` or more is cached: nothing to discard or unpin.
        atomic_fetch_add_explicit(&skipped, 1, memory_order_relaxed);
        return;
    }
    atomic_fetch_add_explicit(&forwarded, 1, memory_order_relaxed);
    base.xTruncate(cache->inner, limit);
    cache->maxKey = limit > 0 ? limit - 1 : 0;
}

static void wrapDestroy(sqlite3_pcache *p) {
    LioraCache *cache = (LioraCache *)p;
    base.xDestroy(cache->inner);
    free(cache);
}

static void wrapShrink(sqlite3_pcache *p) {
    LioraCache *cache = (LioraCache *)p;
    if (base.xShrink != NULL) base.xShrink(cache->inner);
}

int liora_sqlite_install_page_cache(void) {
    if (atomic_load(&installed)) return 0;
    sqlite3_pcache_methods2 current;
    int rc = sqlite_nio_sqlite3_config(LIORA_SQLITE_CONFIG_GETPCACHE2, &current);
    if (rc != 0) return rc;
    if (current.xCreate == wrapCreate) return 0;
    if (current.iVersion < 1 || current.xCreate == NULL || current.xTruncate == NULL) return LIORA_SQLITE_NOMEM;
    base = current;
    sqlite3_pcache_methods2 wrapped = current;
    wrapped.iVersion = 1;   // xShrink is used when iVersion >= 1
    wrapped.xInit = wrapInit;   // never NULL: SQLite would put its default cache back
    wrapped.xShutdown = wrapShutdown;
    wrapped.xCreate = wrapCreate;
    wrapped.xCachesize = wrapCachesize;
    wrapped.xPagecount = wrapPagecount;
    wrapped.xFetch = wrapFetch;
    wrapped.xUnpin = wrapUnpin;
    wrapped.xRekey = wrapRekey;
    wrapped.xTruncate = wrapTruncate;
    wrapped.xDestroy = wrapDestroy;
    wrapped.xShrink = wrapShrink;
    rc = sqlite_nio_sqlite3_config(LIORA_SQLITE_CONFIG_PCACHE2, &wrapped);
    if (rc == 0) atomic_store(&installed, 1);
    return rc;
}

int liora_sqlite_page_cache_installed(void) { return atomic_load(&installed); }

unsigned long long liora_sqlite_page_cache_skipped_truncations(void) { return atomic_load(&skipped); }
unsigned long long liora_sqlite_page_cache_forwarded_truncations(void) { return atomic_load(&forwarded); }
unsigned long long liora_sqlite_page_cache_parked_pages(void) { return atomic_load(&parked); }
