/* Keep-alive load through CONNECT tunnels, for scripts/bench (scenario 2). wrk cannot open
 * a tunnel and a Python client tops out below the proxies it would measure (about 15 000
 * req/s on this machine), so this one is C: epoll, one thread per group of connections.
 *
 *   bench_tunnel PROXY_PORT|direct ORIGIN_PORT AUTH_B64|- CONNS THREADS SECONDS
 *
 * Opens CONNS tunnels through 127.0.0.1:PROXY_PORT to 127.0.0.1:ORIGIN_PORT (sending
 * Proxy-Authorization when AUTH_B64 is not "-"; "direct" connects to the origin itself),
 * then each connection issues GET /1k, waits for the whole response and sends the next, for
 * SECONDS. Prints one JSON line: count (responses completed in time), errors (non-200,
 * closes), elapsed, p50 and p99 latency in seconds; or {"error": "..."} and exit 1.
 * Loopback only; bounded by SECONDS (+10 s for stragglers). */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF 65536

struct conn {
    int fd;
    size_t len;
    double sent;
    char buf[BUF];
};

struct worker {
    pthread_t th;
    int nconns;
    struct conn *conns;
    long count, errors;
    uint32_t *lat; /* microseconds */
    size_t nlat, caplat;
    char err[256];
};

static int proxy_port, origin_port, seconds;
static const char *auth;
static char request[256];
static size_t request_len;
static pthread_barrier_t ready;
static double start_time, end_time;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) { if (errno == EINTR) continue; return -1; }
        p += w; n -= (size_t)w;
    }
    return 0;
}

/* A blocking connection through the tunnel (or to the origin); -1 with w->err set. */
static int open_conn(struct worker *w)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(proxy_port ? proxy_port : origin_port);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        snprintf(w->err, sizeof w->err, "connect: %s", strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (!proxy_port) return fd;
    char req[512];
    int n = snprintf(req, sizeof req, "CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%s%s\r\n", origin_port,
        origin_port, auth ? "Proxy-Authorization: Basic " : "", auth ? auth : "", auth ? "\r\n" : "");
    if (send_all(fd, req, (size_t)n) != 0) {
        snprintf(w->err, sizeof w->err, "send CONNECT: %s", strerror(errno));
        close(fd);
        return -1;
    }
    char head[4096];
    size_t got = 0;
    while (!memmem(head, got, "\r\n\r\n", 4)) {
        ssize_t r = recv(fd, head + got, sizeof head - 1 - got, 0);
        if (r <= 0 || got + (size_t)r >= sizeof head - 1) {
            snprintf(w->err, sizeof w->err, "no answer to CONNECT (%s)", r < 0 ? strerror(errno) : "closed or too long");
            close(fd);
            return -1;
        }
        got += (size_t)r;
    }
    head[got] = 0;
    char *end = memmem(head, got, "\r\n\r\n", 4) + 4;
    if (strncmp(head, "HTTP/1.", 7) != 0 || strncmp(head + 9, "200", 3) != 0 || end != head + got) {
        char *eol = strstr(head, "\r\n");
        if (eol) *eol = 0;
        snprintf(w->err, sizeof w->err, "CONNECT answered: %.200s", head);
        close(fd);
        return -1;
    }
    return fd;
}

static void record(struct worker *w, double secs)
{
    if (w->nlat == w->caplat) {
        w->caplat = w->caplat ? w->caplat * 2 : 65536;
        w->lat = realloc(w->lat, w->caplat * sizeof *w->lat);
    }
    double us = secs * 1e6;
    w->lat[w->nlat++] = us > 4e9 ? 4000000000u : (uint32_t)us;
}

/* Length of the complete response at the start of c->buf, 0 when incomplete, -1 when bad. */
static long complete(struct conn *c)
{
    char *h = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (!h) return c->len >= BUF ? -1 : 0;
    size_t head = (size_t)(h - c->buf) + 4;
    long cl = -1;
    for (char *p = c->buf; p && p < h;) {
        char *eol = memmem(p, (size_t)(h - p) + 2, "\r\n", 2);
        if (!eol) break;
        if (eol - p > 15 && strncasecmp(p, "content-length:", 15) == 0) cl = strtol(p + 15, NULL, 10);
        p = eol + 2;
    }
    if (cl < 0) return -1;
    if (head + (size_t)cl > BUF) return -1;
    return c->len >= head + (size_t)cl ? (long)(head + (size_t)cl) : 0;
}

static void *run(void *arg)
{
    struct worker *w = arg;
    int ok = 1;
    for (int i = 0; i < w->nconns; ++i) {
        w->conns[i].fd = -1;
        if (ok && (w->conns[i].fd = open_conn(w)) < 0) ok = 0;
    }
    pthread_barrier_wait(&ready); /* every thread has its tunnels (or failed) */
    pthread_barrier_wait(&ready); /* main has set the start time */
    if (!ok) return NULL;
    int ep = epoll_create1(0);
    for (int i = 0; i < w->nconns; ++i) {
        struct conn *c = &w->conns[i];
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
        c->len = 0;
        c->sent = now();
        if (send_all(c->fd, request, request_len) != 0) { ++w->errors; epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); }
    }
    int active = w->nconns;
    double hard_end = end_time + 10;
    struct epoll_event evs[256];
    while (active > 0) {
        double t = now();
        if (t > hard_end) break;
        int n = epoll_wait(ep, evs, 256, 200);
        for (int i = 0; i < n; ++i) {
            struct conn *c = evs[i].data.ptr;
            ssize_t r = recv(c->fd, c->buf + c->len, BUF - c->len, MSG_DONTWAIT);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (r <= 0) { ++w->errors; epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); --active; continue; }
            c->len += (size_t)r;
            long k = complete(c);
            if (k < 0) { ++w->errors; epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); --active; continue; }
            if (k == 0) continue;
            double done = now();
            if (strncmp(c->buf + 9, "200", 3) != 0) ++w->errors;
            if (done <= end_time) { ++w->count; record(w, done - c->sent); }
            memmove(c->buf, c->buf + k, c->len - (size_t)k);
            c->len -= (size_t)k;
            if (done < end_time) {
                c->sent = done;
                if (send_all(c->fd, request, request_len) != 0) { ++w->errors; epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL); --active; }
            } else {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                --active;
            }
        }
    }
    close(ep);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: %s PROXY_PORT|direct ORIGIN_PORT AUTH_B64|- CONNS THREADS SECONDS\n", argv[0]);
        return 2;
    }
    proxy_port = strcmp(argv[1], "direct") == 0 ? 0 : atoi(argv[1]);
    origin_port = atoi(argv[2]);
    auth = strcmp(argv[3], "-") == 0 ? NULL : argv[3];
    int conns = atoi(argv[4]), threads = atoi(argv[5]);
    seconds = atoi(argv[6]);
    if (conns < 1 || threads < 1 || threads > conns || seconds < 1 || seconds > 120) { fprintf(stderr, "bad arguments\n"); return 2; }
    request_len = (size_t)snprintf(request, sizeof request, "GET /1k HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", origin_port);
    struct worker *ws = calloc((size_t)threads, sizeof *ws);
    pthread_barrier_init(&ready, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; ++i) {
        ws[i].nconns = conns / threads + (i < conns % threads);
        ws[i].conns = calloc((size_t)ws[i].nconns, sizeof *ws[i].conns);
        pthread_create(&ws[i].th, NULL, run, &ws[i]);
    }
    pthread_barrier_wait(&ready);
    start_time = now();
    end_time = start_time + seconds;
    pthread_barrier_wait(&ready);
    long count = 0, errors = 0;
    size_t nlat = 0;
    const char *err = NULL;
    for (int i = 0; i < threads; ++i) {
        pthread_join(ws[i].th, NULL);
        count += ws[i].count;
        errors += ws[i].errors;
        nlat += ws[i].nlat;
        if (ws[i].err[0] && !err) err = ws[i].err;
    }
    if (err) {
        char clean[256];
        snprintf(clean, sizeof clean, "%s", err);
        for (char *p = clean; *p; ++p) if (*p == '"' || *p == '\\' || (unsigned char)*p < 32) *p = '\'';
        printf("{\"error\": \"%s\"}\n", clean);
        return 1;
    }
    if (!nlat) { printf("{\"error\": \"no request completed\"}\n"); return 1; }
    uint32_t *all = malloc(nlat * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < threads; ++i) {
        memcpy(all + k, ws[i].lat, ws[i].nlat * sizeof *all);
        k += ws[i].nlat;
    }
    qsort(all, nlat, sizeof *all, cmp);
    printf("{\"count\": %ld, \"errors\": %ld, \"elapsed\": %.3f, \"p50\": %.6f, \"p99\": %.6f}\n", count, errors, (double)seconds,
        all[nlat / 2] / 1e6, all[(size_t)(0.99 * (double)(nlat - 1))] / 1e6);
    for (int i = 0; i < threads; ++i) { for (int j = 0; j < ws[i].nconns; ++j) if (ws[i].conns[j].fd >= 0) close(ws[i].conns[j].fd); }
    return 0;
}
