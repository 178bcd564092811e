/*
 * test_threads.c: one ledger handle (and one set of keys) shared by several threads, as the
 * header allows. Writers sign and append status changes, each to its own lot; readers query
 * balances, the summary and the tree head meanwhile. At the end every event is there, once,
 * and the ledger verifies.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>

#include "testutil.h"

#define WRITERS 4
#define READERS 2
#define ROUNDS 5

struct shared {
    custodia_ledger *ledger;
    const custodia_key *depot; /* one key, used by every writer at once */
    int failures[WRITERS + READERS];
};

struct job {
    struct shared *shared;
    int n;
};

static void *writer(void *arg) {
    struct job *job = arg;
    struct shared *s = job->shared;
    for (int round = 0; round < ROUNDS; round++) {
        char text[512];
        snprintf(text, sizeof text,
                 "{\"kind\":\"status_change\",\"at\":\"2026-04-%02dT09:00:00Z\",\"actor\":\"unit:log-bn-2\","
                 "\"lots\":[\"lot:T-%d\"],\"status\":\"%s\",\"reason\":\"round %d of writer %d\"}\n",
                 round + 1, job->n, round % 2 ? "serviceable" : "surplus", round, job->n);
        char *lines = NULL;
        custodia_error *err = NULL;
        const custodia_key *keys[1] = {s->depot};
        custodia_result rc = custodia_ledger_sign_json_lines(s->ledger, (const uint8_t *)text, strlen(text),
                                                             keys, 1, &lines, &err);
        if (rc == CUSTODIA_RESULT_OK)
            rc = custodia_ledger_append_json_lines(s->ledger, (const uint8_t *)lines, strlen(lines), NULL, &err);
        if (rc != CUSTODIA_RESULT_OK) {
            fprintf(stderr, "writer %d: %u %s\n", job->n, (unsigned)rc, err ? custodia_error_json(err) : "");
            s->failures[job->n]++;
        }
        custodia_string_free(lines);
        custodia_error_free(err);
    }
    return NULL;
}

static void *reader(void *arg) {
    struct job *job = arg;
    struct shared *s = job->shared;
    for (int round = 0; round < ROUNDS * 2; round++) {
        char *out = NULL;
        custodia_error *err = NULL;
        custodia_result rc = round % 3 == 0   ? custodia_ledger_balances(s->ledger, "depot:central", NULL, &out, &err)
                             : round % 3 == 1 ? custodia_ledger_summary(s->ledger, &out, &err)
                                              : custodia_ledger_tree_head(s->ledger, &out, &err);
        if (rc != CUSTODIA_RESULT_OK || out == NULL || out[0] == '\0') s->failures[WRITERS + job->n]++;
        custodia_string_free(out);
        custodia_error_free(err);
    }
    return NULL;
}

static void test_shared_handle(void) {
    struct world w;
    world_init(&w, NULL);
    /* One lot per writer, so that writers never need each other's latest event as a parent. */
    for (int n = 0; n < WRITERS; n++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "{\"kind\":\"register_lot\",\"at\":\"2026-03-01T11:00:00Z\",\"actor\":\"unit:log-bn-2\","
                 "\"site\":\"depot:central\",\"custodian\":\"unit:log-bn-2\",\"origin\":{\"kind\":\"stock_on_hand\"},"
                 "\"lot\":{\"id\":\"lot:T-%d\",\"nomenclature\":\"grenade, hand\",\"lot_number\":\"T-%d\","
                 "\"unit\":\"piece\",\"quantity\":%d,\"neq_grams_per_unit\":180}}\n",
                 n, n, 100 + n);
        record(w.ledger, w.depot, text);
    }
    uint64_t before = ledger_len(w.ledger);

    struct shared s;
    memset(&s, 0, sizeof s);
    s.ledger = w.ledger;
    s.depot = w.depot;
    pthread_t threads[WRITERS + READERS];
    struct job jobs[WRITERS + READERS];
    for (int i = 0; i < WRITERS + READERS; i++) {
        jobs[i].shared = &s;
        jobs[i].n = i < WRITERS ? i : i - WRITERS;
        CHECK(pthread_create(&threads[i], NULL, i < WRITERS ? writer : reader, &jobs[i]) == 0);
    }
    for (int i = 0; i < WRITERS + READERS; i++) CHECK(pthread_join(threads[i], NULL) == 0);
    for (int i = 0; i < WRITERS + READERS; i++) CHECK(s.failures[i] == 0);

    CHECK(ledger_len(w.ledger) == before + WRITERS * ROUNDS);
    for (int n = 0; n < WRITERS; n++) {
        char stock[32], *trace = NULL;
        custodia_error *err = NULL;
        snprintf(stock, sizeof stock, "lot:T-%d", n);
        CHECK_OK(custodia_ledger_trace(w.ledger, stock, &trace, &err), err);
        /* Registration plus ROUNDS status changes, in order. */
        int changes = 0;
        for (const char *p = trace; p && (p = strstr(p, "status_change")) != NULL; p++) changes++;
        CHECK(changes == ROUNDS);
        custodia_string_free(trace);
    }
    custodia_verify_report *vr = NULL;
    custodia_error *err = NULL;
    CHECK_OK(custodia_ledger_verify(w.ledger, &vr, &err), err);
    CHECK(custodia_verify_report_ok(vr));
    CHECK(custodia_verify_report_events(vr) == before + WRITERS * ROUNDS);
    custodia_verify_report_free(vr);
    world_free(&w);
}

/* Keys and errors are immutable: several threads may read one at once. */
static void *read_error(void *arg) {
    const custodia_error *err = arg;
    int bad = 0;
    for (int i = 0; i < 100; i++) {
        bad += custodia_error_code(err) != CUSTODIA_RESULT_NULL_ARGUMENT;
        bad += strstr(custodia_error_json(err), "9006") == NULL;
    }
    return bad ? (void *)1 : NULL;
}

static void test_shared_error(void) {
    custodia_error *err = NULL;
    CHECK_RC(custodia_ledger_summary(NULL, NULL, &err), CUSTODIA_RESULT_NULL_ARGUMENT, err);
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) CHECK(pthread_create(&threads[i], NULL, read_error, err) == 0);
    for (int i = 0; i < 4; i++) {
        void *bad = NULL;
        CHECK(pthread_join(threads[i], &bad) == 0 && bad == NULL);
    }
    custodia_error_free(err);
}

int main(void) {
    scratch_init();
    RUN(test_shared_handle);
    RUN(test_shared_error);
    scratch_remove();
    return finish("test_threads");
}
