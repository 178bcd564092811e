/*
 * quickstart.c: keep the books of one ammunition lot with libcustodia.
 *
 * A ministry creates a ledger, registers itself, two units and two sites, brings a lot of
 * 48 000 rounds into the central depot, sends 12 000 of them to an armoury, which receives
 * them; then it verifies the ledger and prints the balances at the armoury.
 *
 * Every event is written as JSON text (docs/FORMAT.md), signed with the recording actor's key
 * by custodia_ledger_sign_json_lines (which fills in `v` and `parents`), and appended by
 * custodia_ledger_append_json_lines (all or nothing).
 *
 * Build and run (scripts/test-c.sh does this):
 *   cc -std=c11 -Ibindings/c/include examples/c/quickstart.c -Ltarget/debug -lcustodia \
 *      -Wl,-rpath,$PWD/target/debug -o quickstart && ./quickstart
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custodia.h"

#define LEDGER_PATH "quickstart.ledger"

/* Prints what went wrong and stops. A real program would log the JSON and recover. */
static void fail(const char *what, custodia_result rc, custodia_error *err) {
    fprintf(stderr, "%s failed: %u %s: %s\n", what, (unsigned)rc, custodia_result_name(rc),
            err ? custodia_error_message(err) : "(no details)");
    custodia_error_free(err);
    exit(1);
}

/* Signs the JSON lines `events` with `key` (the recording actor's) and appends them as one
 * batch. Returns the append report (JSON), which the caller frees with custodia_string_free. */
static char *record(custodia_ledger *ledger, const custodia_key *key, const char *events) {
    custodia_error *err = NULL;
    char *signed_lines = NULL;
    custodia_result rc = custodia_ledger_sign_json_lines(
        ledger, (const uint8_t *)events, strlen(events), &key, 1, &signed_lines, &err);
    if (rc != CUSTODIA_RESULT_OK) fail("signing", rc, err);

    char *report = NULL;
    rc = custodia_ledger_append_json_lines(ledger, (const uint8_t *)signed_lines,
                                           strlen(signed_lines), &report, &err);
    custodia_string_free(signed_lines);
    if (rc != CUSTODIA_RESULT_OK) fail("appending", rc, err);
    return report;
}

/* A new key and its public key as hex (for the `keys` of an actor). */
static custodia_key *new_key(char public_hex[65]) {
    custodia_key *key = NULL;
    char *hex = NULL;
    custodia_error *err = NULL;
    custodia_result rc = custodia_key_generate(&key, &err);
    if (rc != CUSTODIA_RESULT_OK) fail("generating a key", rc, err);
    rc = custodia_key_public_key(key, &hex, &err);
    if (rc != CUSTODIA_RESULT_OK) fail("reading a public key", rc, err);
    snprintf(public_hex, 65, "%s", hex);
    custodia_string_free(hex);
    return key;
}

/* The first string member `"id":"..."` of a JSON text: here, the first appended event's id.
 * (A real program would use its JSON library.) */
static void first_id(const char *json, char id[65]) {
    const char *p = strstr(json, "\"id\":\"");
    snprintf(id, 65, "%s", p ? p + 6 : "");
}

int main(void) {
    if (custodia_abi_version() != CUSTODIA_ABI_VERSION) {
        fprintf(stderr, "libcustodia ABI %u, header ABI %u\n", custodia_abi_version(),
                CUSTODIA_ABI_VERSION);
        return 1;
    }
    printf("libcustodia %s\n", custodia_version());
    unlink(LEDGER_PATH); /* start afresh: custodia never overwrites a ledger */

    /* 1. The ledger, with a log key that signs its tree heads. Keep this key safe (for
     *    example custodia_key_write_file): it is needed to append, and is never stored in the
     *    ledger file. */
    char hex[65];
    custodia_key *log_key = new_key(hex);
    custodia_ledger *ledger = NULL;
    custodia_error *err = NULL;
    custodia_result rc = custodia_ledger_create(LEDGER_PATH, log_key,
                                                "mindef.example/custodia/quickstart", &ledger,
                                                &err);
    if (rc != CUSTODIA_RESULT_OK) fail("creating the ledger", rc, err);

    /* 2. Who takes part, each with a key (in production each holds it in a token). */
    char admin_pub[65], depot_pub[65], armoury_pub[65];
    custodia_key *admin = new_key(admin_pub);
    custodia_key *depot = new_key(depot_pub);
    custodia_key *armoury = new_key(armoury_pub);

    /* 3. The ministry registers itself (the first event), the two units and two sites. */
    char events[4096];
    snprintf(events, sizeof events,
             "{\"kind\":\"register_actor\",\"at\":\"2026-01-05T08:00:00Z\",\"actor\":\"agency:mod\","
             "\"subject\":{\"id\":\"agency:mod\",\"kind\":\"agency\",\"name\":\"Ministry of Defence\","
             "\"roles\":[\"admin\"],\"keys\":[\"%s\"]}}\n"
             "{\"kind\":\"register_actor\",\"at\":\"2026-01-05T09:00:00Z\",\"actor\":\"agency:mod\","
             "\"subject\":{\"id\":\"unit:log-bn-2\",\"kind\":\"unit\",\"name\":\"2nd Logistics Battalion\","
             "\"member_of\":\"agency:mod\",\"roles\":[\"custodian\"],\"keys\":[\"%s\"]}}\n"
             "{\"kind\":\"register_actor\",\"at\":\"2026-01-05T09:00:00Z\",\"actor\":\"agency:mod\","
             "\"subject\":{\"id\":\"unit:armoury-7\",\"kind\":\"unit\",\"name\":\"7th Armoury\","
             "\"member_of\":\"agency:mod\",\"roles\":[\"custodian\"],\"keys\":[\"%s\"]}}\n"
             "{\"kind\":\"register_site\",\"at\":\"2026-01-06T08:00:00Z\",\"actor\":\"agency:mod\","
             "\"site\":{\"id\":\"depot:central\",\"name\":\"Central Depot\",\"kind\":\"depot\","
             "\"hazard_divisions\":[\"1.4\"]}}\n"
             "{\"kind\":\"register_site\",\"at\":\"2026-01-06T08:00:00Z\",\"actor\":\"agency:mod\","
             "\"site\":{\"id\":\"armoury:north\",\"name\":\"North Armoury\",\"kind\":\"armoury\","
             "\"hazard_divisions\":[\"1.4\"]}}\n",
             admin_pub, depot_pub, armoury_pub);
    custodia_string_free(record(ledger, admin, events));

    /* 4. The depot's unit brings a lot into its charge, then dispatches 12 000 rounds. */
    custodia_string_free(record(ledger, depot,
        "{\"kind\":\"register_lot\",\"at\":\"2026-01-10T11:00:00Z\",\"actor\":\"unit:log-bn-2\","
        "\"site\":\"depot:central\",\"custodian\":\"unit:log-bn-2\",\"origin\":{\"kind\":\"stock_on_hand\"},"
        "\"lot\":{\"id\":\"lot:762x39-1987-044\",\"nomenclature\":\"cartridge 7.62x39 ball\","
        "\"lot_number\":\"KZ-1987-044\",\"unit\":\"round\",\"quantity\":48000,"
        "\"hazard\":{\"division\":\"1.4\",\"group\":\"S\"},\"neq_grams_per_unit\":2}}\n"));
    char *report = record(ledger, depot,
        "{\"kind\":\"transfer_dispatch\",\"at\":\"2026-06-01T06:00:00Z\",\"actor\":\"unit:log-bn-2\","
        "\"from\":{\"site\":\"depot:central\",\"custodian\":\"unit:log-bn-2\"},"
        "\"to\":{\"site\":\"armoury:north\",\"custodian\":\"unit:armoury-7\"},"
        "\"lots\":[{\"lot\":\"lot:762x39-1987-044\",\"quantity\":12000}],\"reference\":\"WAYBILL-2026-118\"}\n");
    char dispatch_id[65];
    first_id(report, dispatch_id);
    custodia_string_free(report);

    /* 5. The armoury receives what was sent, naming the dispatch. */
    snprintf(events, sizeof events,
             "{\"kind\":\"transfer_receipt\",\"at\":\"2026-06-01T15:00:00Z\",\"actor\":\"unit:armoury-7\","
             "\"dispatch\":\"%.64s\",\"lots\":[{\"lot\":\"lot:762x39-1987-044\",\"quantity\":12000}]}\n",
             dispatch_id);
    custodia_string_free(record(ledger, armoury, events));

    /* 6. Verify everything from the stored bytes. */
    custodia_verify_report *verified = NULL;
    rc = custodia_ledger_verify(ledger, &verified, &err);
    if (rc != CUSTODIA_RESULT_OK) fail("verifying", rc, err);
    printf("verified: %s, %llu events\n", custodia_verify_report_ok(verified) ? "ok" : "FAILED",
           (unsigned long long)custodia_verify_report_events(verified));
    int ok = custodia_verify_report_ok(verified);
    custodia_verify_report_free(verified);

    /* 7. What the armoury holds now (JSON: an array of balances). */
    char *balances = NULL;
    rc = custodia_ledger_balances(ledger, "armoury:north", NULL, &balances, &err);
    if (rc != CUSTODIA_RESULT_OK) fail("reading balances", rc, err);
    printf("balances at armoury:north: %s\n", balances);
    ok = ok && strstr(balances, "\"units\":12000") != NULL;
    custodia_string_free(balances);

    custodia_ledger_free(ledger);
    custodia_key_free(log_key);
    custodia_key_free(admin);
    custodia_key_free(depot);
    custodia_key_free(armoury);
    return ok ? 0 : 1;
}
