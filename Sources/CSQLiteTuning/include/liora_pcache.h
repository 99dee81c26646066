#ifndef LIORA_PCACHE_H
#define LIORA_PCACHE_H

/// Installs Liora's page cache: SQLite's own cache (pcache1), unchanged, behind a thin wrapper that
/// skips end-of-transaction truncations that have nothing to discard.
///
/// Why: when a b-tree balance swaps two sibling pages, SQLite parks one of them for a moment at the
/// locking page's number (page 262145 with 4 KiB pages). pcache1 remembers that number as the
/// largest key it holds, so the next truncation, run at the end of every write transaction, walks
/// every page in the cache (16,000 pages with a 64 MiB cache) under the writer. The wrapper keeps
/// its own bound on the largest page number really present and forwards a truncation only when a
/// page at or above the limit can exist. Everything else is forwarded as is.
///
/// Must run before SQLite is initialised (before the first connection opens). Returns 0 when
/// installed, or SQLite's error code (SQLITE_MISUSE when SQLite was already initialised: SQLite
/// keeps its default cache, which is correct, only slower). Calling it again is harmless.
int liora_sqlite_install_page_cache(void);

/// Whether the wrapper is in place.
int liora_sqlite_page_cache_installed(void);

/// Truncations the wrapper skipped and forwarded since the process started (for tests and metrics).
unsigned long long liora_sqlite_page_cache_skipped_truncations(void);
unsigned long long liora_sqlite_page_cache_forwarded_truncations(void);

/// Pages a b-tree balance parked at the locking page's number (each made the plain cache's next
/// truncation walk every cached page).
unsigned long long liora_sqlite_page_cache_parked_pages(void);

#endif
