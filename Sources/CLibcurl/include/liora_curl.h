// A small driver around libcurl's multi interface for the Graph API client: one thread runs every
// transfer (HTTP/1.1 keep-alive connections, or HTTP/2 where the server offers it), callers submit
// requests from any thread and hear back through a callback. Swift cannot call libcurl's variadic
// setters itself, which is why this lives in C.
#ifndef LIORA_CURL_H
#define LIORA_CURL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct liora_curl_driver liora_curl_driver;

/// Called on the driver's thread when a transfer ends. `result` is libcurl's CURLcode: 0 when an
/// HTTP answer arrived (whatever its status), 28 on a timeout, another code for a transport
/// failure described by `error`. `body` (the answer's bytes) and `error` are valid only during the call.
typedef void (*liora_curl_done_fn)(void *context, uint64_t token, int result, long status,
                                   const char *body, size_t body_length, const char *error);

/// Starts a driver and its thread: at most `max_host_connections` connections to one host (requests
/// beyond wait for a free one). Returns NULL, with a reason in `error`, when libcurl cannot start.
liora_curl_driver *liora_curl_driver_start(long max_host_connections, liora_curl_done_fn done, void *context,
                                           char *error, size_t error_capacity);

/// Queues a request; `done` is called once with `token` when it ends. `authorization` is the whole
/// header value (e.g. "Bearer …"); a non-NULL `body` makes it a JSON POST, NULL a GET. Everything
/// is copied before this returns; the copy of the credential is wiped when the transfer ends.
/// `timeout_ms` bounds the whole exchange, connection included. Returns 0, or -1 when out of memory.
int liora_curl_driver_submit(liora_curl_driver *driver, uint64_t token, const char *url, const char *authorization,
                             const void *body, size_t body_length, long timeout_ms);

/// libcurl's version line (e.g. "libcurl/7.88.1 OpenSSL/3.0.15 …").
const char *liora_curl_version(void);

#ifdef __cplusplus
}
#endif

#endif
