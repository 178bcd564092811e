/*
 * bench_c.c: the C side of the C API benchmark (scripts/bench-c.sh). The same calls as
 * bench/bench_rust.rs, through libcustodia, on an identical ledger: N single-event
 * custodia_ledger_append_json_lines calls, then N custodia_ledger_balances calls for one site
 * (each returning JSON, freed with custodia_string_free), then N for one stock at that site.
 * Prints `c append_us=... balances_us=... one_us=...` (mean microseconds per call).
 *
 * Usage: bench_c DIR   (DIR prepared by `bench_rust prepare`)
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "custodia.h"

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static char *slurp(const char *dir, const char *name, size_t *len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) exit(1);
    buf[size] = '\0';
    fclose(f);
    if (len) *len = (size_t)size;
    return buf;
}

static void check(custodia_result rc, custodia_error *err, const char *what) {
    if (rc == CUSTODIA_RESULT_OK) return;
    fprintf(stderr, "%s: %u %s\n", what, (unsigned)rc, err ? custodia_error_json(err) : "");
    exit(1);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: bench_c DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    size_t seed_len = 0, setup_len = 0, events_len = 0;
    char *seed = slurp(dir, "log.seed", &seed_len);
    char *setup = slurp(dir, "setup.jsonl", &setup_len);
    char *events = slurp(dir, "events.jsonl", &events_len);
    char *site = slurp(dir, "site.txt", NULL);
    site[strcspn(site, "\r\n")] = '\0';
    char *stock = slurp(dir, "stock.txt", NULL);
    stock[strcspn(stock, "\r\n")] = '\0';

    char path[1024];
    snprintf(path, sizeof path, "%s/c.ledger", dir);
    unlink(path);
    char side[1100];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);

    custodia_error *err = NULL;
    custodia_key *log = NULL;
    custodia_ledger *ledger = NULL;
    check(custodia_key_from_seed((const uint8_t *)seed, seed_len, &log, &err), err, "seed");
    check(custodia_ledger_create(path, log, NULL, &ledger, &err), err, "create");
    check(custodia_ledger_append_json_lines(ledger, (const uint8_t *)setup, setup_len, NULL, &err), err, "setup");

    /* One call per event line. */
    size_t n = 0;
    double start = now_us();
    for (char *line = events; *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > 0) {
            check(custodia_ledger_append_json_lines(ledger, (const uint8_t *)line, len, NULL, &err), err, "append");
            n++;
        }
        line += len + (end ? 1 : 0);
    }
    double append_us = (now_us() - start) / (double)n;

    size_t bytes = 0;
    start = now_us();
    for (size_t i = 0; i < n; i++) {
        char *json = NULL;
        check(custodia_ledger_balances(ledger, site, NULL, &json, &err), err, "balances");
        bytes += strlen(json);
        custodia_string_free(json);
    }
    double balances_us = (now_us() - start) / (double)n;
    start = now_us();
    for (size_t i = 0; i < n; i++) {
        char *json = NULL;
        check(custodia_ledger_balances(ledger, site, stock, &json, &err), err, "balances of one stock");
        custodia_string_free(json);
    }
    double one_us = (now_us() - start) / (double)n;
    printf("c append_us=%.1f balances_us=%.1f one_us=%.1f json_bytes=%zu\n", append_us, balances_us, one_us,
           bytes / n);

    custodia_ledger_free(ledger);
    custodia_key_free(log);
    free(seed);
    free(setup);
    free(events);
    free(site);
    free(stock);
    return 0;
}
