#define _GNU_SOURCE
#if defined(__APPLE__)
#define __STDC_WANT_LIB_EXT1__ 1
#endif
#include "liora_curl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__APPLE__)
/// macOS has memset_s (C11 Annex K) rather than explicit_bzero: a wipe the compiler keeps.
static void explicit_bzero(void *p, size_t n) { memset_s(p, n, 0, n); }
#endif

// The libcurl declarations this file uses, as in curl/curl.h and curl/multi.h (their ABI has been
// stable since 7.x; the multi poll/wakeup calls need 7.68+). Declared here so that building needs
// only the libcurl.so.4 that FoundationNetworking links already, not the development package.
// Tests check the behaviour against a local server; the constants were checked against 7.88's headers.
typedef void CURL;
typedef void CURLM;
typedef int CURLcode;
typedef int CURLMcode;
struct curl_slist {
    char *data;
    struct curl_slist *next;
};
typedef enum { CURLMSG_NONE, CURLMSG_DONE, CURLMSG_LAST } CURLMSG;
typedef struct {
    CURLMSG msg;
    CURL *easy_handle;
    union {
        void *whatever;
        CURLcode result;
    } data;
} CURLMsg;

extern CURLcode curl_global_init(long flags);
extern CURL *curl_easy_init(void);
extern CURLcode curl_easy_setopt(CURL *curl, int option, ...);
extern CURLcode curl_easy_getinfo(CURL *curl, int info, ...);
extern void curl_easy_reset(CURL *curl);
extern const char *curl_easy_strerror(CURLcode code);
extern struct curl_slist *curl_slist_append(struct curl_slist *list, const char *string);
extern void curl_slist_free_all(struct curl_slist *list);
extern CURLM *curl_multi_init(void);
extern CURLMcode curl_multi_setopt(CURLM *multi, int option, ...);
extern CURLMcode curl_multi_add_handle(CURLM *multi, CURL *curl);
extern CURLMcode curl_multi_remove_handle(CURLM *multi, CURL *curl);
extern CURLMcode curl_multi_perform(CURLM *multi, int *running_handles);
extern CURLMcode curl_multi_poll(CURLM *multi, void *extra_fds, unsigned int extra_nfds, int timeout_ms, int *ret);
extern CURLMcode curl_multi_wakeup(CURLM *multi);
extern CURLMsg *curl_multi_info_read(CURLM *multi, int *msgs_in_queue);
extern char *curl_version(void);

enum {
    LC_GLOBAL_ALL = 3,
    LC_ERROR_SIZE = 256,
    // CURLoption
    LC_OPT_WRITEDATA = 10001,
    LC_OPT_URL = 10002,
    LC_OPT_ERRORBUFFER = 10010,
    LC_OPT_POSTFIELDS = 10015,
    LC_OPT_HTTPHEADER = 10023,
    LC_OPT_POST = 47,
    LC_OPT_POSTFIELDSIZE = 60,
    LC_OPT_HTTPGET = 80,
    LC_OPT_NOSIGNAL = 99,
    LC_OPT_PRIVATE = 10103,
    LC_OPT_TIMEOUT_MS = 155,
    LC_OPT_TCP_KEEPALIVE = 213,
    LC_OPT_PROTOCOLS_STR = 10318,
    LC_OPT_WRITEFUNCTION = 20011,
    // CURLINFO
    LC_INFO_RESPONSE_CODE = 0x200002,
    LC_INFO_PRIVATE = 0x100015,
    // CURLMoption
    LC_MOPT_MAXCONNECTS = 6,
    LC_MOPT_MAX_HOST_CONNECTIONS = 7,
    // CURLcode
    LC_E_OUT_OF_MEMORY = 27,
};

/// The most bytes kept of an answer: Meta's answers are a few hundred bytes; more is an error.
#define LC_MAX_RESPONSE (1024 * 1024)

struct transfer {
    struct transfer *next;
    uint64_t token;
    struct curl_slist *headers;
    char *url;
    char *body;
    size_t body_length;
    int post;
    long timeout_ms;
    char *response;
    size_t response_length;
    size_t response_capacity;
    char error[LC_ERROR_SIZE];
};

struct liora_curl_driver {
    CURLM *multi;
    pthread_mutex_t lock;
    struct transfer *incoming_head;
    struct transfer *incoming_tail;
    liora_curl_done_fn done;
    void *context;
    CURL **idle;
    size_t idle_count;
    size_t idle_capacity;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_result;

static void global_init(void) { global_result = curl_global_init(LC_GLOBAL_ALL); }

const char *liora_curl_version(void) { return curl_version(); }

/// Wipes and frees a header list (it holds the credential).
static void free_headers(struct curl_slist *list) {
    for (struct curl_slist *item = list; item; item = item->next) {
        if (item->data) explicit_bzero(item->data, strlen(item->data));
    }
    curl_slist_free_all(list);
}

static void free_transfer(struct transfer *t) {
    free_headers(t->headers);
    free(t->url);
    free(t->body);
    free(t->response);
    free(t);
}

static size_t on_write(char *data, size_t size, size_t count, void *user) {
    struct transfer *t = user;
    size_t n = size * count;
    if (n == 0) return 0;
    if (t->response_length + n > LC_MAX_RESPONSE) return 0;  // libcurl ends the transfer: CURLE_WRITE_ERROR
    if (t->response_length + n > t->response_capacity) {
        size_t capacity = t->response_capacity ? t->response_capacity : 1024;
        while (capacity < t->response_length + n) capacity *= 2;
        char *grown = realloc(t->response, capacity);
        if (!grown) return 0;
        t->response = grown;
        t->response_capacity = capacity;
    }
    memcpy(t->response + t->response_length, data, n);
    t->response_length += n;
    return n;
}

static CURL *take_easy(liora_curl_driver *d) {
    if (d->idle_count > 0) return d->idle[--d->idle_count];
    return curl_easy_init();
}

/// Keeps an easy handle for the next transfer (its connection stays in the multi handle's cache).
static void give_back_easy(liora_curl_driver *d, CURL *easy) {
    curl_easy_reset(easy);
    if (d->idle_count == d->idle_capacity) {
        size_t capacity = d->idle_capacity ? d->idle_capacity * 2 : 64;
        CURL **grown = realloc(d->idle, capacity * sizeof(CURL *));
        if (!grown) return;  // the handle leaks rather than the transfer failing
        d->idle = grown;
        d->idle_capacity = capacity;
    }
    d->idle[d->idle_count++] = easy;
}

static void fail_now(liora_curl_driver *d, struct transfer *t, CURLcode code, const char *reason) {
    d->done(d->context, t->token, code, 0, NULL, 0, reason);
    free_transfer(t);
}

static void start(liora_curl_driver *d, struct transfer *t) {
    CURL *easy = take_easy(d);
    if (!easy) {
        fail_now(d, t, LC_E_OUT_OF_MEMORY, "libcurl could not create a transfer");
        return;
    }
    curl_easy_setopt(easy, LC_OPT_URL, t->url);
    curl_easy_setopt(easy, LC_OPT_PRIVATE, (void *)t);
    curl_easy_setopt(easy, LC_OPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(easy, LC_OPT_WRITEDATA, (void *)t);
    curl_easy_setopt(easy, LC_OPT_ERRORBUFFER, t->error);
    curl_easy_setopt(easy, LC_OPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, LC_OPT_TIMEOUT_MS, t->timeout_ms);
    curl_easy_setopt(easy, LC_OPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, LC_OPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, LC_OPT_HTTPHEADER, t->headers);
    if (t->post) {
        curl_easy_setopt(easy, LC_OPT_POST, 1L);
        curl_easy_setopt(easy, LC_OPT_POSTFIELDSIZE, (long)t->body_length);
        curl_easy_setopt(easy, LC_OPT_POSTFIELDS, t->body);
    } else {
        curl_easy_setopt(easy, LC_OPT_HTTPGET, 1L);
    }
    if (curl_multi_add_handle(d->multi, easy) != 0) {
        give_back_easy(d, easy);
        fail_now(d, t, LC_E_OUT_OF_MEMORY, "libcurl refused the transfer");
    }
}

static void finish_done(liora_curl_driver *d) {
    CURLMsg *message;
    int left;
    while ((message = curl_multi_info_read(d->multi, &left))) {
        if (message->msg != CURLMSG_DONE) continue;
        CURL *easy = message->easy_handle;
        CURLcode result = message->data.result;
        struct transfer *t = NULL;
        long status = 0;
        curl_easy_getinfo(easy, LC_INFO_PRIVATE, (char **)&t);
        curl_easy_getinfo(easy, LC_INFO_RESPONSE_CODE, &status);
        curl_multi_remove_handle(d->multi, easy);
        give_back_easy(d, easy);
        if (!t) continue;
        const char *error = NULL;
        if (result != 0) error = t->error[0] ? t->error : curl_easy_strerror(result);
        d->done(d->context, t->token, result, status, t->response, t->response_length, error);
        free_transfer(t);
    }
}

static void *run(void *argument) {
    liora_curl_driver *d = argument;
    for (;;) {
        pthread_mutex_lock(&d->lock);
        struct transfer *list = d->incoming_head;
        d->incoming_head = d->incoming_tail = NULL;
        pthread_mutex_unlock(&d->lock);
        while (list) {
            struct transfer *t = list;
            list = t->next;
            t->next = NULL;
            start(d, t);
        }
        int running = 0;
        curl_multi_perform(d->multi, &running);
        finish_done(d);
        // Sleeps until a socket is ready, a timer is due or `submit` wakes it.
        curl_multi_poll(d->multi, NULL, 0, 1000, NULL);
    }
    return NULL;
}

liora_curl_driver *liora_curl_driver_start(long max_host_connections, liora_curl_done_fn done, void *context,
                                           char *error, size_t error_capacity) {
    pthread_once(&global_once, global_init);
    if (global_result != 0) {
        snprintf(error, error_capacity, "libcurl did not initialise: %s", curl_easy_strerror(global_result));
        return NULL;
    }
    liora_curl_driver *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(error, error_capacity, "out of memory");
        return NULL;
    }
    d->multi = curl_multi_init();
    if (!d->multi) {
        snprintf(error, error_capacity, "libcurl could not create a multi handle");
        free(d);
        return NULL;
    }
    curl_multi_setopt(d->multi, LC_MOPT_MAX_HOST_CONNECTIONS, max_host_connections);
    curl_multi_setopt(d->multi, LC_MOPT_MAXCONNECTS, max_host_connections * 2);
    pthread_mutex_init(&d->lock, NULL);
    d->done = done;
    d->context = context;
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    int started = pthread_create(&thread, &attributes, run, d);
    pthread_attr_destroy(&attributes);
    if (started != 0) {
        snprintf(error, error_capacity, "could not start the libcurl thread (%d)", started);
        return NULL;  // the multi handle is kept: nothing else can use it safely now
    }
    return d;
}

static char *copy_string(const char *s) {
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy) memcpy(copy, s, n);
    return copy;
}

int liora_curl_driver_submit(liora_curl_driver *d, uint64_t token, const char *url, const char *authorization,
                             const void *body, size_t body_length, long timeout_ms) {
    struct transfer *t = calloc(1, sizeof(*t));
    if (!t) return -1;
    t->token = token;
    t->timeout_ms = timeout_ms;
    t->url = copy_string(url);
    if (!t->url) goto fail;
    if (body) {
        t->post = 1;
        t->body_length = body_length;
        t->body = malloc(body_length ? body_length : 1);
        if (!t->body) goto fail;
        if (body_length) memcpy(t->body, body, body_length);
    }
    size_t auth_length = strlen("Authorization: ") + strlen(authorization) + 1;
    char *auth = malloc(auth_length);
    if (!auth) goto fail;
    snprintf(auth, auth_length, "Authorization: %s", authorization);
    struct curl_slist *headers = curl_slist_append(NULL, auth);
    explicit_bzero(auth, auth_length);
    free(auth);
    if (!headers) goto fail;
    t->headers = headers;
    const char *fixed[] = {"Accept: application/json", "User-Agent: liora", "Expect:",
                           body ? "Content-Type: application/json" : NULL};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]) && fixed[i]; i++) {
        struct curl_slist *more = curl_slist_append(t->headers, fixed[i]);
        if (!more) goto fail;
        t->headers = more;
    }
    pthread_mutex_lock(&d->lock);
    if (d->incoming_tail) {
        d->incoming_tail->next = t;
    } else {
        d->incoming_head = t;
    }
    d->incoming_tail = t;
    pthread_mutex_unlock(&d->lock);
    curl_multi_wakeup(d->multi);
    return 0;
fail:
    free_transfer(t);
    return -1;
}
