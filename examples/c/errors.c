/*
 * errors.c: what a refused event looks like through the C API, and proof that a refusal
 * changes nothing.
 *
 * A depot holds 48 000 rounds. A clerk tries to dispatch 60 000: custodia refuses to sign it
 * (CUSTODIA_RESULT_INSUFFICIENT_STOCK, 3001) and says which event, which field and why. Then a
 * correctly signed dispatch is altered after signing (12 000 becomes 1 200): the append is
 * refused (CUSTODIA_RESULT_ID_MISMATCH, 1008), because the event's id no longer matches its
 * content. Both times the ledger is left exactly as it was.
 *
 * Programs act on the number (and its family, the thousands digit); the message is for people.
 * docs/ERRORS.md lists every code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custodia.h"

#define LEDGER_PATH "errors.ledger"

static void die(const char *what, custodia_result rc, custodia_error *err) {
    fprintf(stderr, "%s failed unexpectedly: %u %s\n", what, (unsigned)rc,
            err ? custodia_error_json(err) : "");
    custodia_error_free(err);
    exit(1);
}

/* Prints everything a custodia_error tells. */
static void print_error(const char *what, custodia_result rc, const custodia_error *err) {
    uint64_t index = 0;
    const char *event = custodia_error_event(err);
    const char *field = custodia_error_field(err);
    printf("%s was refused:\n", what);
    printf("  code:    %u (CUSTODIA_RESULT_%s, family %u)\n", (unsigned)rc, custodia_result_name(rc),
           (unsigned)rc / 1000);
    if (custodia_error_index(err, &index))
        printf("  index:   %llu (position in the batch)\n", (unsigned long long)index);
    printf("  event:   %s\n", event ? event : "(none)");
    printf("  field:   %s\n", field ? field : "(none)");
    printf("  message: %s\n", custodia_error_message(err));
}

static char *sign(custodia_ledger *ledger, const custodia_key *key, const char *events,
                  custodia_result *rc, custodia_error **err) {
    char *out = NULL;
    *rc = custodia_ledger_sign_json_lines(ledger, (const uint8_t *)events, strlen(events), &key,
                                          1, &out, err);
    return out;
}

static void record(custodia_ledger *ledger, const custodia_key *key, const char *events) {
    custodia_result rc;
    custodia_error *err = NULL;
    char *lines = sign(ledger, key, events, &rc, &err);
    if (rc != CUSTODIA_RESULT_OK) die("signing", rc, err);
    rc = custodia_ledger_append_json_lines(ledger, (const uint8_t *)lines, strlen(lines), NULL,
                                           &err);
    custodia_string_free(lines);
    if (rc != CUSTODIA_RESULT_OK) die("appending", rc, err);
}

/* The ledger's size and balances, to show they did not change. */
static char *snapshot(custodia_ledger *ledger) {
    uint64_t len = 0;
    char *balances = NULL, *out = NULL;
    custodia_error *err = NULL;
    custodia_result rc = custodia_ledger_len(ledger, &len, &err);
    if (rc != CUSTODIA_RESULT_OK) die("len", rc, err);
    rc = custodia_ledger_balances(ledger, NULL, NULL, &balances, &err);
    if (rc != CUSTODIA_RESULT_OK) die("balances", rc, err);
    size_t n = strlen(balances) + 32;
    out = malloc(n);
    if (!out) exit(1);
    snprintf(out, n, "%llu %s", (unsigned long long)len, balances);
    custodia_string_free(balances);
    return out;
}

int main(void) {
    unlink(LEDGER_PATH);
    custodia_key *log_key = NULL, *admin = NULL;
    custodia_ledger *ledger = NULL;
    custodia_error *err = NULL;
    char *admin_pub = NULL;
    custodia_result rc = custodia_key_generate(&log_key, &err);
    if (rc != CUSTODIA_RESULT_OK) die("keygen", rc, err);
    rc = custodia_key_generate(&admin, &err);
    if (rc != CUSTODIA_RESULT_OK) die("keygen", rc, err);
    rc = custodia_key_public_key(admin, &admin_pub, &err);
    if (rc != CUSTODIA_RESULT_OK) die("public key", rc, err);
    rc = custodia_ledger_create(LEDGER_PATH, log_key, NULL, &ledger, &err);
    if (rc != CUSTODIA_RESULT_OK) die("create", rc, err);

    /* The ministry is its own depot custodian here, to keep the example short. */
    char events[2048];
    snprintf(events, sizeof events,
             "{\"kind\":\"register_actor\",\"at\":\"2026-01-05T08:00:00Z\",\"actor\":\"agency:mod\","
             "\"subject\":{\"id\":\"agency:mod\",\"kind\":\"agency\",\"name\":\"Ministry of Defence\","
             "\"roles\":[\"admin\",\"custodian\"],\"keys\":[\"%s\"]}}\n"
             "{\"kind\":\"register_site\",\"at\":\"2026-01-06T08:00:00Z\",\"actor\":\"agency:mod\","
             "\"site\":{\"id\":\"depot:central\",\"name\":\"Central Depot\",\"kind\":\"depot\"}}\n"
             "{\"kind\":\"register_site\",\"at\":\"2026-01-06T08:00:00Z\",\"actor\":\"agency:mod\","
             "\"site\":{\"id\":\"range:south\",\"name\":\"South Range\",\"kind\":\"range\"}}\n"
             "{\"kind\":\"register_lot\",\"at\":\"2026-01-10T11:00:00Z\",\"actor\":\"agency:mod\","
             "\"site\":\"depot:central\",\"custodian\":\"agency:mod\",\"origin\":{\"kind\":\"stock_on_hand\"},"
             "\"lot\":{\"id\":\"lot:A-77\",\"nomenclature\":\"cartridge 5.56 ball\","
             "\"lot_number\":\"A-77\",\"unit\":\"round\",\"quantity\":48000,\"neq_grams_per_unit\":2}}\n",
             admin_pub);
    custodia_string_free(admin_pub);
    record(ledger, admin, events);
    char *before = snapshot(ledger);
    int ok = 1;

    /* 1. More than the depot holds: refused when signing, with the field that is wrong. */
    const char *too_many =
        "{\"kind\":\"transfer_dispatch\",\"at\":\"2026-06-01T06:00:00Z\",\"actor\":\"agency:mod\","
        "\"from\":{\"site\":\"depot:central\",\"custodian\":\"agency:mod\"},"
        "\"to\":{\"site\":\"range:south\",\"custodian\":\"agency:mod\"},"
        "\"lots\":[{\"lot\":\"lot:A-77\",\"quantity\":60000}]}\n";
    char *lines = sign(ledger, admin, too_many, &rc, &err);
    if (rc == CUSTODIA_RESULT_OK) die("the oversized dispatch was signed; signing", rc, err);
    print_error("dispatching 60000 rounds", rc, err);
    ok = ok && rc == CUSTODIA_RESULT_INSUFFICIENT_STOCK && lines == NULL;
    custodia_error_free(err);
    err = NULL;

    /* 2. A signed event altered afterwards: refused when appending. */
    const char *fine =
        "{\"kind\":\"transfer_dispatch\",\"at\":\"2026-06-01T06:00:00Z\",\"actor\":\"agency:mod\","
        "\"from\":{\"site\":\"depot:central\",\"custodian\":\"agency:mod\"},"
        "\"to\":{\"site\":\"range:south\",\"custodian\":\"agency:mod\"},"
        "\"lots\":[{\"lot\":\"lot:A-77\",\"quantity\":12000}]}\n";
    lines = sign(ledger, admin, fine, &rc, &err);
    if (rc != CUSTODIA_RESULT_OK) die("signing", rc, err);
    char *quantity = strstr(lines, "\"quantity\":12000");
    if (!quantity) die("finding the quantity", CUSTODIA_RESULT_OK, NULL);
    memmove(quantity + 12, quantity + 13, strlen(quantity + 13) + 1); /* 12000 -> 1200 */
    rc = custodia_ledger_append_json_lines(ledger, (const uint8_t *)lines, strlen(lines), NULL,
                                           &err);
    custodia_string_free(lines);
    if (rc == CUSTODIA_RESULT_OK) die("the altered event was appended; appending", rc, err);
    print_error("appending an altered event", rc, err);
    ok = ok && rc == CUSTODIA_RESULT_ID_MISMATCH;
    custodia_error_free(err);
    err = NULL;

    /* 3. Nothing changed. */
    char *after = snapshot(ledger);
    int unchanged = strcmp(before, after) == 0;
    printf("ledger unchanged: %s\n", unchanged ? "yes" : "NO");
    ok = ok && unchanged;
    free(before);
    free(after);

    custodia_ledger_free(ledger);
    custodia_key_free(log_key);
    custodia_key_free(admin);
    return ok ? 0 : 1;
}
