/*
 * testutil.h: a minimal test harness for the C tests of libcustodia (no dependencies), and a
 * small stockpile every test can start from.
 *
 * Tests assert result codes by number (CUSTODIA_RESULT_...), never message text.
 */
#ifndef CUSTODIA_TESTUTIL_H
#define CUSTODIA_TESTUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custodia.h"

static int tests_passed = 0;
static int tests_failed = 0;
static int checks_failed = 0;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            checks_failed++;                                                          \
        }                                                                             \
    } while (0)

/* Asserts a call's result code; on a mismatch prints the error (when `err` is given). */
#define CHECK_RC(expr, want, err)                                                           \
    do {                                                                                    \
        custodia_result rc_ = (expr);                                                       \
        if (rc_ != (custodia_result)(want)) {                                               \
            fprintf(stderr, "%s:%d: %s returned %u, expected %u: %s\n", __FILE__, __LINE__, \
                    #expr, (unsigned)rc_, (unsigned)(want),                                 \
                    (err) ? custodia_error_json(err) : "(no error object)");                \
            checks_failed++;                                                                \
        }                                                                                   \
    } while (0)

#define CHECK_OK(expr, err) CHECK_RC(expr, CUSTODIA_RESULT_OK, err)

#define RUN(test)                                         \
    do {                                                  \
        checks_failed = 0;                                \
        test();                                           \
        if (checks_failed) {                              \
            tests_failed++;                               \
            printf("FAIL %s\n", #test);                   \
        } else {                                          \
            tests_passed++;                               \
            printf("ok   %s\n", #test);                   \
        }                                                 \
        fflush(stdout);                                   \
    } while (0)

/* The closing line scripts/test-c.sh adds up. */
static inline int finish(const char *program) {
    printf("%s: %d passed, %d failed\n", program, tests_passed, tests_failed);
    return tests_failed == 0 ? 0 : 1;
}

/* ---- a scratch folder ------------------------------------------------------------------- */

static char scratch_dir[256];

static inline void scratch_init(void) {
    snprintf(scratch_dir, sizeof scratch_dir, "/tmp/custodia-c-test-XXXXXX");
    if (!mkdtemp(scratch_dir)) {
        perror("mkdtemp");
        exit(2);
    }
}

/* A path inside the scratch folder (a static buffer per call site is enough for tests). */
static inline const char *scratch_path(char *buf, size_t len, const char *name) {
    snprintf(buf, len, "%s/%s", scratch_dir, name);
    return buf;
}

static inline void scratch_remove(void) {
    DIR *d = opendir(scratch_dir);
    if (!d) return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", scratch_dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(scratch_dir);
}

/* ---- keys and events -------------------------------------------------------------------- */

static inline custodia_key *key_new(char public_hex[65]) {
    custodia_key *key = NULL;
    char *hex = NULL;
    custodia_error *err = NULL;
    CHECK_OK(custodia_key_generate(&key, &err), err);
    CHECK_OK(custodia_key_public_key(key, &hex, &err), err);
    snprintf(public_hex, 65, "%s", hex ? hex : "");
    custodia_string_free(hex);
    return key;
}

/* Signs `text` (JSON lines) with `key`; NULL and a failed check on error. */
static inline char *sign_text(custodia_ledger *ledger, const custodia_key *key, const char *text) {
    char *out = NULL;
    custodia_error *err = NULL;
    CHECK_OK(custodia_ledger_sign_json_lines(ledger, (const uint8_t *)text, strlen(text), &key, 1,
                                             &out, &err),
             err);
    custodia_error_free(err);
    return out;
}

/* Appends signed JSON lines and returns the result code (the error, if wanted, in *err_out). */
static inline custodia_result append_text(custodia_ledger *ledger, const char *lines,
                                   custodia_error **err_out) {
    return custodia_ledger_append_json_lines(ledger, (const uint8_t *)lines, strlen(lines), NULL,
                                             err_out);
}

/* Signs and appends, checking both succeed. */
static inline void record(custodia_ledger *ledger, const custodia_key *key, const char *text) {
    char *lines = sign_text(ledger, key, text);
    if (!lines) return;
    custodia_error *err = NULL;
    CHECK_OK(append_text(ledger, lines, &err), err);
    custodia_error_free(err);
    custodia_string_free(lines);
}

static inline uint64_t ledger_len(custodia_ledger *ledger) {
    uint64_t len = 0;
    custodia_error *err = NULL;
    CHECK_OK(custodia_ledger_len(ledger, &len, &err), err);
    custodia_error_free(err);
    return len;
}

/* The value of the first `"name":"...` string member after `from` in a JSON text. */
static inline void json_string(const char *json, const char *name, char *out, size_t len) {
    char key[64];
    snprintf(key, sizeof key, "\"%s\":\"", name);
    const char *p = json ? strstr(json, key) : NULL;
    out[0] = '\0';
    if (!p) return;
    p += strlen(key);
    size_t n = 0;
    while (p[n] && p[n] != '"' && n + 1 < len) n++;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* ---- a small stockpile ------------------------------------------------------------------ */

/* agency:mod (admin, authoriser), unit:log-bn-2 (custodian of depot:central),
 * unit:armoury-7 (custodian of armoury:north), lot:A-77 of 48000 rounds at the depot and two
 * rifles (serials KZ1987-00123, KZ1987-00124 by Izhmash) at the depot, the lot inspected:
 * 8 events. */
struct world {
    custodia_key *log, *admin, *depot, *armoury;
    char log_pub[65], admin_pub[65], depot_pub[65], armoury_pub[65];
    custodia_ledger *ledger;
};

#define WORLD_EVENTS 8

static inline void world_events(struct world *w, custodia_ledger *ledger) {
    char text[4096];
    snprintf(text, sizeof text,
             "{\"kind\":\"register_actor\",\"at\":\"2026-01-05T08:00:00Z\",\"actor\":\"agency:mod\","
             "\"subject\":{\"id\":\"agency:mod\",\"kind\":\"agency\",\"name\":\"Ministry of Defence\","
             "\"roles\":[\"admin\",\"authoriser\"],\"keys\":[\"%s\"]}}\n"
             "{\"kind\":\"register_actor\",\"at\":\"2026-01-05T09:00:00Z\",\"actor\":\"agency:mod\","
             "\"subject\":{\"id\":\"unit:log-bn-2\",\"kind\":\"unit\",\"name\":\"2nd Logistics Battalion\","
             "\"member_of\":\"agency:mod\",\"roles\":[\"custodian\"],\"keys\":[\"%s\"]}}\n"
             "{\"kind\":\"register_actor\",\"at\":\"2026-01-05T09:00:00Z\",\"actor\":\"agency:mod\","
             "\"subject\":{\"id\":\"unit:armoury-7\",\"kind\":\"unit\",\"name\":\"7th Armoury\","
             "\"member_of\":\"agency:mod\",\"roles\":[\"custodian\"],\"keys\":[\"%s\"]}}\n"
             "{\"kind\":\"register_site\",\"at\":\"2026-01-06T08:00:00Z\",\"actor\":\"agency:mod\","
             "\"site\":{\"id\":\"depot:central\",\"name\":\"Central Depot\",\"kind\":\"depot\","
             "\"licensed_neq_grams\":50000000,\"hazard_divisions\":[\"1.4\"]}}\n"
             "{\"kind\":\"register_site\",\"at\":\"2026-01-06T08:00:00Z\",\"actor\":\"agency:mod\","
             "\"site\":{\"id\":\"armoury:north\",\"name\":\"North Armoury\",\"kind\":\"armoury\","
             "\"licensed_neq_grams\":50000000,\"hazard_divisions\":[\"1.4\"]}}\n",
             w->admin_pub, w->depot_pub, w->armoury_pub);
    record(ledger, w->admin, text);
    record(ledger, w->depot,
           "{\"kind\":\"register_lot\",\"at\":\"2026-01-10T11:00:00Z\",\"actor\":\"unit:log-bn-2\","
           "\"site\":\"depot:central\",\"custodian\":\"unit:log-bn-2\",\"origin\":{\"kind\":\"stock_on_hand\"},"
           "\"lot\":{\"id\":\"lot:A-77\",\"nomenclature\":\"cartridge 7.62x39 ball\","
           "\"lot_number\":\"A-77\",\"unit\":\"round\",\"quantity\":48000,"
           "\"hazard\":{\"division\":\"1.4\",\"group\":\"S\"},\"neq_grams_per_unit\":2}}\n"
           "{\"kind\":\"register_items\",\"at\":\"2026-01-12T09:00:00Z\",\"actor\":\"unit:log-bn-2\","
           "\"site\":\"depot:central\",\"custodian\":\"unit:log-bn-2\","
           "\"origin\":{\"kind\":\"seized\",\"reference\":\"CASE-2025-0412\"},\"items\":["
           "{\"id\":\"item:AK47-00123\",\"category\":\"firearm\",\"type\":\"assault rifle\","
           "\"marking\":{\"manufacturer\":\"Izhmash\",\"serial\":\"KZ1987-00123\",\"year\":1987}},"
           "{\"id\":\"item:AK47-00124\",\"category\":\"firearm\",\"type\":\"assault rifle\","
           "\"marking\":{\"manufacturer\":\"Izhmash\",\"serial\":\"KZ1987-00124\",\"year\":1987}}]}\n");
    record(ledger, w->depot,
           "{\"kind\":\"status_change\",\"at\":\"2026-01-13T09:00:00Z\",\"actor\":\"unit:log-bn-2\","
           "\"lots\":[\"lot:A-77\"],\"status\":\"serviceable\",\"reason\":\"inspected\"}\n");
}

/* Creates the world's ledger at `path` (NULL: in memory) with fresh keys. */
static inline void world_init(struct world *w, const char *path) {
    memset(w, 0, sizeof *w);
    w->log = key_new(w->log_pub);
    w->admin = key_new(w->admin_pub);
    w->depot = key_new(w->depot_pub);
    w->armoury = key_new(w->armoury_pub);
    custodia_error *err = NULL;
    if (path) {
        unlink(path);
        CHECK_OK(custodia_ledger_create(path, w->log, "test.example/custodia", &w->ledger, &err),
                 err);
    } else {
        CHECK_OK(custodia_ledger_new_in_memory(w->log, &w->ledger, &err), err);
    }
    custodia_error_free(err);
    if (w->ledger) world_events(w, w->ledger);
}

static inline void world_free(struct world *w) {
    custodia_ledger_free(w->ledger);
    custodia_key_free(w->log);
    custodia_key_free(w->admin);
    custodia_key_free(w->depot);
    custodia_key_free(w->armoury);
    memset(w, 0, sizeof *w);
}

#endif /* CUSTODIA_TESTUTIL_H */
