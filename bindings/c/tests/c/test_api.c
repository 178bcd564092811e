/*
 * test_api.c: the C API from C, compiled with -std=c11 -Wall -Wextra -Werror and run under
 * valgrind by scripts/test-c.sh. Good input and bad: NULL handles and buffers, invalid JSON,
 * invalid UTF-8, overflowing lengths, a wrong signature, a forged event id, a file that is not a
 * ledger, a damaged ledger, a second writer (another handle, another process), _free(NULL).
 *
 * Usage: test_api [PLUGINS_DIR | -]
 *   PLUGINS_DIR: target/plugins, for the rule plugin test with real plugins;
 *   -: no plugin host can start here (under valgrind, wasmtime cannot reserve its memory pool):
 *      only the refusal paths of the rule functions are tested.
 *   none: rules are loaded from an empty folder.
 */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "testutil.h"

static const char *plugins_dir = NULL;
static int no_plugin_host = 0;

/* A pointer that a failed call must leave alone. */
#define SENTINEL ((void *)0x5e5e5e5e)

static void test_version(void) {
    const char *v = custodia_version();
    CHECK(v != NULL && strlen(v) >= 5 && strchr(v, '.') != NULL);
    CHECK(custodia_abi_version() == CUSTODIA_ABI_VERSION);
    CHECK(strcmp(custodia_result_name(CUSTODIA_RESULT_OK), "OK") == 0);
    CHECK(strcmp(custodia_result_name(3001), "INSUFFICIENT_STOCK") == 0);
    CHECK(strcmp(custodia_result_name(CUSTODIA_RESULT_NULL_ARGUMENT), "NULL_ARGUMENT") == 0);
    CHECK(custodia_result_name(1) == NULL);
    CHECK(custodia_result_name(UINT32_MAX) == NULL);
    /* The numbers the C API itself produces. */
    CHECK(CUSTODIA_RESULT_NULL_ARGUMENT == 9006);
    CHECK(CUSTODIA_RESULT_INVALID_UTF8 == 9007);
    CHECK(CUSTODIA_RESULT_BUFFER_TOO_SMALL == 9008);
    CHECK(CUSTODIA_RESULT_PANIC == 9009);
    CHECK(sizeof(custodia_result) == 4);
}

static void test_free_null(void) {
    custodia_ledger_free(NULL);
    custodia_key_free(NULL);
    custodia_rules_free(NULL);
    custodia_error_free(NULL);
    custodia_verify_report_free(NULL);
    custodia_string_free(NULL);
    /* Accessors on NULL return their documented neutral values. */
    CHECK(custodia_error_code(NULL) == CUSTODIA_RESULT_NULL_ARGUMENT);
    CHECK(custodia_error_message(NULL) == NULL);
    CHECK(custodia_error_json(NULL) == NULL);
    CHECK(custodia_error_event(NULL) == NULL);
    uint64_t index = 77;
    CHECK(!custodia_error_index(NULL, &index) && index == 77);
    CHECK(!custodia_verify_report_ok(NULL));
    CHECK(custodia_verify_report_events(NULL) == 0);
    CHECK(custodia_verify_report_failure_code(NULL) == CUSTODIA_RESULT_NULL_ARGUMENT);
    CHECK(custodia_verify_report_json(NULL) == NULL);
}

static void test_keys(void) {
    custodia_key *key = NULL, *again = NULL;
    custodia_error *err = NULL;
    char *hex = NULL, *hex2 = NULL;
    uint8_t seed[CUSTODIA_KEY_SEED_BYTES + 8];
    memset(seed, 0xAA, sizeof seed);

    CHECK_OK(custodia_key_generate(&key, &err), err);
    CHECK(err == NULL);
    CHECK_OK(custodia_key_public_key(key, &hex, &err), err);
    CHECK(hex != NULL && strlen(hex) == 64);

    /* The seed round-trips to the same public key. */
    CHECK_OK(custodia_key_seed(key, seed, sizeof seed, &err), err);
    CHECK(seed[CUSTODIA_KEY_SEED_BYTES] == 0xAA); /* nothing written past 32 bytes */
    CHECK_OK(custodia_key_from_seed(seed, CUSTODIA_KEY_SEED_BYTES, &again, &err), err);
    CHECK_OK(custodia_key_public_key(again, &hex2, &err), err);
    CHECK(hex && hex2 && strcmp(hex, hex2) == 0);

    /* RFC 8032 test 1: this seed's public key is fixed. */
    static const uint8_t rfc_seed[32] = {
        0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
        0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
    custodia_key *rfc = NULL;
    char *rfc_hex = NULL;
    CHECK_OK(custodia_key_from_seed(rfc_seed, sizeof rfc_seed, &rfc, &err), err);
    CHECK_OK(custodia_key_public_key(rfc, &rfc_hex, &err), err);
    CHECK(rfc_hex && strcmp(rfc_hex,
                            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a") == 0);

    /* Bad seeds and buffers; outputs untouched. */
    custodia_key *untouched = SENTINEL;
    CHECK_RC(custodia_key_from_seed(seed, 31, &untouched, &err), CUSTODIA_RESULT_INVALID_ARGUMENT, err);
    CHECK(untouched == SENTINEL);
    CHECK(custodia_error_code(err) == CUSTODIA_RESULT_INVALID_ARGUMENT);
    custodia_error_free(err);
    err = NULL;
    CHECK_RC(custodia_key_from_seed(NULL, 32, &untouched, &err), CUSTODIA_RESULT_NULL_ARGUMENT, err);
    CHECK(untouched == SENTINEL);
    custodia_error_free(err);
    err = NULL;
    uint8_t small[16];
    memset(small, 0, sizeof small);
    CHECK_RC(custodia_key_seed(key, small, sizeof small, &err), CUSTODIA_RESULT_BUFFER_TOO_SMALL, err);
    for (size_t i = 0; i < sizeof small; i++) CHECK(small[i] == 0);
    CHECK(custodia_error_code(err) == CUSTODIA_RESULT_BUFFER_TOO_SMALL);
    custodia_error_free(err);
    err = NULL;
    CHECK_RC(custodia_key_seed(key, NULL, 32, NULL), CUSTODIA_RESULT_NULL_ARGUMENT, NULL);
    CHECK_RC(custodia_key_generate(NULL, NULL), CUSTODIA_RESULT_NULL_ARGUMENT, NULL);
    CHECK_RC(custodia_key_public_key(NULL, &hex2, NULL), CUSTODIA_RESULT_NULL_ARGUMENT, NULL);

    custodia_string_free(hex);
    custodia_string_free(hex2);
    custodia_string_free(rfc_hex);
    custodia_key_free(key);
    custodia_key_free(again);
    custodia_key_free(rfc);
}

static void test_key_files(void) {
    char path[512], loose[512];
    scratch_path(path, sizeof path, "actor.key");
    scratch_path(loose, sizeof loose, "loose.key");
    custodia_key *key = NULL, *read = NULL;
    custodia_error *err = NULL;
    char *a = NULL, *b = NULL;
    CHECK_OK(custodia_key_generate(&key, &err), err);
    CHECK_OK(custodia_key_write_file(key, path, "unit:log-bn-2", &err), err);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_OK(custodia_key_read_file(path, &read, &err), err);
    CHECK_OK(custodia_key_public_key(key, &a, &err), err);
    CHECK_OK(custodia_key_public_key(read, &b, &err), err);
    CHECK(a && b && strcmp(a, b) == 0);

    /* Never overwritten. */
    CHECK_RC(custodia_key_write_file(key, path, NULL, &err), CUSTODIA_RESULT_FILE_EXISTS, err);
    custodia_error_free(err);
    err = NULL;

    /* A key file others can read is refused. */
    CHECK_OK(custodia_key_write_file(key, loose, NULL, &err), err);
    chmod(loose, 0644);
    custodia_key *untouched = SENTINEL;
    CHECK_RC(custodia_key_read_file(loose, &untouched, &err), CUSTODIA_RESULT_KEY_FILE_INVALID, err);
    CHECK(untouched == SENTINEL);
    custodia_error_free(err);
    err = NULL;

    /* Missing, and not a key file. */
    char missing[512];
    scratch_path(missing, sizeof missing, "missing.key");
    CHECK_RC(custodia_key_read_file(missing, &untouched, &err), CUSTODIA_RESULT_KEY_FILE_INVALID, err);
    custodia_error_free(err);
    err = NULL;
    char junk[512];
    scratch_path(junk, sizeof junk, "junk.key");
    int fd = open(junk, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0 && write(fd, "not json", 8) == 8);
    close(fd);
    CHECK_RC(custodia_key_read_file(junk, &untouched, &err), CUSTODIA_RESULT_KEY_FILE_INVALID, err);
    CHECK(untouched == SENTINEL);
    custodia_error_free(err);

    custodia_string_free(a);
    custodia_string_free(b);
    custodia_key_free(key);
    custodia_key_free(read);
}

static void test_error_object(void) {
    /* A NULL ledger: the error object says which argument. */
    custodia_error *err = NULL;
    char *json = SENTINEL;
    CHECK_RC(custodia_ledger_summary(NULL, &json, &err), CUSTODIA_RESULT_NULL_ARGUMENT, err);
    CHECK(json == SENTINEL);
    CHECK(err != NULL);
    CHECK(custodia_error_code(err) == CUSTODIA_RESULT_NULL_ARGUMENT);
    CHECK(strcmp(custodia_error_name(err), "NullArgument") == 0);
    CHECK(custodia_error_message(err) != NULL && strlen(custodia_error_message(err)) > 0);
    CHECK(custodia_error_event(err) == NULL);
    CHECK(custodia_error_field(err) == NULL);
    uint64_t index = 5;
    CHECK(!custodia_error_index(err, &index) && index == 5);
    const char *j = custodia_error_json(err);
    CHECK(j && strstr(j, "\"code\":9006") && strstr(j, "\"argument\":\"ledger\""));
    /* The strings stay valid across other calls, until the error is freed. */
    const char *message = custodia_error_message(err);
    custodia_error *other = NULL;
    CHECK_RC(custodia_ledger_summary(NULL, NULL, &other), CUSTODIA_RESULT_NULL_ARGUMENT, other);
    CHECK(strlen(message) > 0 && custodia_error_code(err) == CUSTODIA_RESULT_NULL_ARGUMENT);
    custodia_error_free(other);
    custodia_error_free(err);

    /* On success error_out is set to NULL. */
    struct world w;
    world_init(&w, NULL);
    err = SENTINEL;
    char *summary = NULL;
    CHECK_OK(custodia_ledger_summary(w.ledger, &summary, &err), NULL);
    CHECK(err == NULL);
    CHECK(summary && strstr(summary, "\"events\":8"));
    custodia_string_free(summary);
    world_free(&w);
}

static void test_null_arguments(void) {
    struct world w;
    world_init(&w, NULL);
    custodia_ledger *l = w.ledger;
    char *out = SENTINEL;
    uint64_t n = 42;
    custodia_ledger *ledger_out = SENTINEL;
    custodia_verify_report *report = SENTINEL;
    const char *line = "{}\n";
    const uint8_t *bytes = (const uint8_t *)line;
    const custodia_key *keys[2] = {w.admin, NULL};

#define NULL_ARG(call) CHECK_RC(call, CUSTODIA_RESULT_NULL_ARGUMENT, NULL)
    NULL_ARG(custodia_ledger_create(NULL, w.log, NULL, &ledger_out, NULL));
    NULL_ARG(custodia_ledger_create("x.ledger", NULL, NULL, &ledger_out, NULL));
    NULL_ARG(custodia_ledger_create("x.ledger", w.log, NULL, NULL, NULL));
    NULL_ARG(custodia_ledger_open(NULL, NULL, &ledger_out, NULL));
    NULL_ARG(custodia_ledger_new_in_memory(NULL, NULL, NULL));
    NULL_ARG(custodia_ledger_append_json_lines(NULL, bytes, 3, NULL, NULL));
    NULL_ARG(custodia_ledger_append_json_lines(l, NULL, 3, NULL, NULL));
    NULL_ARG(custodia_ledger_append_json_lines(l, NULL, 0, NULL, NULL));
    NULL_ARG(custodia_ledger_sign_json_lines(l, bytes, 3, NULL, 1, &out, NULL));
    NULL_ARG(custodia_ledger_sign_json_lines(l, bytes, 3, keys, 2, &out, NULL)); /* keys[1] */
    NULL_ARG(custodia_ledger_sign_json_lines(l, bytes, 3, keys, 1, NULL, NULL));
    NULL_ARG(custodia_ledger_verify(NULL, &report, NULL));
    NULL_ARG(custodia_ledger_verify(l, NULL, NULL));
    NULL_ARG(custodia_ledger_len(NULL, &n, NULL));
    NULL_ARG(custodia_ledger_len(l, NULL, NULL));
    NULL_ARG(custodia_ledger_tree_head(NULL, &out, NULL));
    NULL_ARG(custodia_ledger_tree_head(l, NULL, NULL));
    NULL_ARG(custodia_ledger_inclusion_proof(l, NULL, 0, &out, NULL));
    NULL_ARG(custodia_ledger_consistency_proof(NULL, 1, 0, &out, NULL));
    NULL_ARG(custodia_ledger_balances(NULL, NULL, NULL, &out, NULL));
    NULL_ARG(custodia_ledger_balances(l, NULL, NULL, NULL, NULL));
    NULL_ARG(custodia_ledger_stock_on_hand(NULL, NULL, NULL, NULL, &out, NULL));
    NULL_ARG(custodia_ledger_stock_history(NULL, 86400, &out, NULL));
    NULL_ARG(custodia_ledger_stock_history(l, 86400, NULL, NULL));
    NULL_ARG(custodia_ledger_trace(l, NULL, &out, NULL));
    NULL_ARG(custodia_ledger_lineage(l, NULL, &out, NULL));
    NULL_ARG(custodia_ledger_find_items(l, "Izhmash", NULL, &out, NULL));
    NULL_ARG(custodia_ledger_events(NULL, 0, 10, &out, NULL));
    NULL_ARG(custodia_ledger_event(l, NULL, &out, NULL));
    NULL_ARG(custodia_ledger_summary(l, NULL, NULL));
    NULL_ARG(custodia_ledger_custody_graph(NULL, &out, NULL));
    NULL_ARG(custodia_ledger_rules_in_force(NULL, &out, NULL));
    NULL_ARG(custodia_ledger_set_rules(NULL, NULL, NULL));
    NULL_ARG(custodia_ledger_put_rules_in_force(l, NULL, "agency:mod", "2026-02-01T00:00:00Z", w.admin, NULL, NULL));
    NULL_ARG(custodia_rules_load_dir(NULL, NULL, NULL));
    NULL_ARG(custodia_rules_json(NULL, &out, NULL));
    NULL_ARG(custodia_key_read_file(NULL, NULL, NULL));
    NULL_ARG(custodia_key_write_file(NULL, "k", NULL, NULL));
    NULL_ARG(custodia_key_write_file(w.admin, NULL, NULL, NULL));
#undef NULL_ARG
    CHECK(out == SENTINEL && n == 42 && ledger_out == SENTINEL && report == SENTINEL);

    /* The error names the NULL argument. */
    custodia_error *err = NULL;
    CHECK_RC(custodia_ledger_sign_json_lines(l, bytes, 3, keys, 2, &out, &err),
             CUSTODIA_RESULT_NULL_ARGUMENT, err);
    CHECK(err && strstr(custodia_error_json(err), "keys[1]") != NULL);
    custodia_error_free(err);
    /* A ledger never changed by any of it. */
    CHECK(ledger_len(l) == WORLD_EVENTS);
    world_free(&w);
}

static void test_invalid_utf8(void) {
    struct world w;
    world_init(&w, NULL);
    const char bad[] = {'d', 'e', 'p', 'o', 't', ':', (char)0xC3, (char)0x28, 0};
    char *out = SENTINEL;
    custodia_error *err = NULL;
    custodia_ledger *ledger_out = SENTINEL;
    CHECK_RC(custodia_ledger_balances(w.ledger, bad, NULL, &out, &err), CUSTODIA_RESULT_INVALID_UTF8, err);
    CHECK(err && strstr(custodia_error_json(err), "\"argument\":\"site\""));
    custodia_error_free(err);
    CHECK_RC(custodia_ledger_trace(w.ledger, bad, &out, NULL), CUSTODIA_RESULT_INVALID_UTF8, NULL);
    CHECK_RC(custodia_ledger_find_items(w.ledger, bad, "1", &out, NULL), CUSTODIA_RESULT_INVALID_UTF8, NULL);
    CHECK_RC(custodia_ledger_open(bad, NULL, &ledger_out, NULL), CUSTODIA_RESULT_INVALID_UTF8, NULL);
    CHECK_RC(custodia_ledger_create(bad, w.log, NULL, &ledger_out, NULL), CUSTODIA_RESULT_INVALID_UTF8, NULL);
    CHECK_RC(custodia_ledger_create("x.ledger", w.log, bad, &ledger_out, NULL), CUSTODIA_RESULT_INVALID_UTF8, NULL);
    custodia_key *k = SENTINEL;
    CHECK_RC(custodia_key_read_file(bad, &k, NULL), CUSTODIA_RESULT_INVALID_UTF8, NULL);
    CHECK(out == SENTINEL && ledger_out == SENTINEL && k == SENTINEL);

    /* Invalid UTF-8 inside the JSON lines: not JSON. */
    const char lines[] = {'{', '"', 'k', (char)0xFF, '"', ':', '1', '}', '\n'};
    CHECK_RC(custodia_ledger_append_json_lines(w.ledger, (const uint8_t *)lines, sizeof lines, NULL, &err),
             CUSTODIA_RESULT_JSON_MALFORMED, err);
    uint64_t index = 99;
    CHECK(custodia_error_index(err, &index) && index == 0);
    custodia_error_free(err);
    const custodia_key *keys[1] = {w.admin};
    CHECK_RC(custodia_ledger_sign_json_lines(w.ledger, (const uint8_t *)lines, sizeof lines, keys, 1, &out, NULL),
             CUSTODIA_RESULT_JSON_MALFORMED, NULL);
    CHECK(out == SENTINEL);
    CHECK(ledger_len(w.ledger) == WORLD_EVENTS);
    world_free(&w);
}

static void test_lengths(void) {
    struct world w;
    world_init(&w, NULL);
    const char *line = "{}\n";
    const custodia_key *keys[1] = {w.admin};
    char *out = SENTINEL;
    custodia_error *err = NULL;
    CHECK_RC(custodia_ledger_append_json_lines(w.ledger, (const uint8_t *)line, SIZE_MAX, NULL, &err),
             CUSTODIA_RESULT_INVALID_ARGUMENT, err);
    CHECK(err && strstr(custodia_error_json(err), "jsonl_len"));
    custodia_error_free(err);
    CHECK_RC(custodia_ledger_append_json_lines(w.ledger, (const uint8_t *)line, (size_t)PTRDIFF_MAX + 1, NULL, NULL),
             CUSTODIA_RESULT_INVALID_ARGUMENT, NULL);
    CHECK_RC(custodia_ledger_sign_json_lines(w.ledger, (const uint8_t *)line, SIZE_MAX, keys, 1, &out, NULL),
             CUSTODIA_RESULT_INVALID_ARGUMENT, NULL);
    CHECK_RC(custodia_ledger_sign_json_lines(w.ledger, (const uint8_t *)line, 3, keys, 0, &out, NULL),
             CUSTODIA_RESULT_INVALID_ARGUMENT, NULL);
    CHECK_RC(custodia_ledger_sign_json_lines(w.ledger, (const uint8_t *)line, 3, keys, SIZE_MAX, &out, NULL),
             CUSTODIA_RESULT_INVALID_ARGUMENT, NULL);
    custodia_key *k = SENTINEL;
    CHECK_RC(custodia_key_from_seed((const uint8_t *)line, SIZE_MAX, &k, NULL),
             CUSTODIA_RESULT_INVALID_ARGUMENT, NULL);
    /* Empty input: nothing to append. */
    CHECK_RC(custodia_ledger_append_json_lines(w.ledger, (const uint8_t *)"", 0, NULL, NULL),
             CUSTODIA_RESULT_BATCH_EMPTY, NULL);
    CHECK_RC(custodia_ledger_append_json_lines(w.ledger, (const uint8_t *)"\n\n", 2, NULL, NULL),
             CUSTODIA_RESULT_BATCH_EMPTY, NULL);
    CHECK(out == SENTINEL && k == SENTINEL);
    CHECK(ledger_len(w.ledger) == WORLD_EVENTS);
    world_free(&w);
}

static void test_create_and_open(void) {
    char path[512];
    scratch_path(path, sizeof path, "create.ledger");
    struct world w;
    world_init(&w, path);
    custodia_error *err = NULL;
    custodia_ledger *again = SENTINEL;

    /* Never overwritten. */
    CHECK_RC(custodia_ledger_create(path, w.log, NULL, &again, &err), CUSTODIA_RESULT_FILE_EXISTS, err);
    CHECK(again == SENTINEL);
    custodia_error_free(err);
    err = NULL;

    /* Opened with the right log key: writable; with another: refused. */
    custodia_ledger *reopened = NULL;
    CHECK_OK(custodia_ledger_open(path, w.log, &reopened, &err), err);
    CHECK(ledger_len(reopened) == WORLD_EVENTS);
    custodia_ledger_free(reopened);
    CHECK_RC(custodia_ledger_open(path, w.admin, &again, &err), CUSTODIA_RESULT_INVALID_ARGUMENT, err);
    CHECK(again == SENTINEL);
    custodia_error_free(err);
    err = NULL;

    /* Missing file. */
    char missing[512];
    scratch_path(missing, sizeof missing, "missing.ledger");
    CHECK_RC(custodia_ledger_open(missing, NULL, &again, &err), CUSTODIA_RESULT_FILE_NOT_FOUND, err);
    custodia_error_free(err);
    err = NULL;

    /* The tree head names the origin given at creation. */
    char *head = NULL;
    CHECK_OK(custodia_ledger_tree_head(w.ledger, &head, &err), err);
    CHECK(head && strstr(head, "\"origin\":\"test.example/custodia\"") && strstr(head, "\"size\":8"));
    CHECK(head && strstr(head, w.log_pub));
    custodia_string_free(head);
    world_free(&w);
}

static void test_not_a_ledger(void) {
    char path[512];
    scratch_path(path, sizeof path, "notes.txt");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const char *text = "this is not a ledger, just some notes about rifles\n";
    CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    custodia_ledger *l = SENTINEL;
    custodia_error *err = NULL;
    CHECK_RC(custodia_ledger_open(path, NULL, &l, &err), CUSTODIA_RESULT_NOT_A_LEDGER, err);
    CHECK(l == SENTINEL);
    custodia_error_free(err);

    /* An SQLite file of someone else's. */
    char other[512];
    scratch_path(other, sizeof other, "empty.ledger");
    fd = open(other, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    close(fd);
    err = NULL;
    custodia_result rc = custodia_ledger_open(other, NULL, &l, &err);
    CHECK(rc == CUSTODIA_RESULT_NOT_A_LEDGER);
    CHECK(l == SENTINEL);
    custodia_error_free(err);
}

static void test_read_only(void) {
    char path[512];
    scratch_path(path, sizeof path, "readonly.ledger");
    struct world w;
    world_init(&w, path);
    custodia_ledger *ro = NULL;
    custodia_error *err = NULL;
    CHECK_OK(custodia_ledger_open(path, NULL, &ro, &err), err);
    const char *text =
        "{\"kind\":\"status_change\",\"at\":\"2026-02-01T09:00:00Z\",\"actor\":\"unit:log-bn-2\","
        "\"lots\":[\"lot:A-77\"],\"status\":\"surplus\",\"reason\":\"obsolete calibre\"}\n";
    /* Signing works read-only; appending does not. */
    char *lines = sign_text(ro, w.depot, text);
    CHECK(lines != NULL);
    if (lines) {
        CHECK_RC(append_text(ro, lines, &err), CUSTODIA_RESULT_READ_ONLY, err);
        custodia_error_free(err);
        err = NULL;
        /* The writable handle takes it. */
        CHECK_OK(append_text(w.ledger, lines, &err), err);
    }
    CHECK(ledger_len(ro) == WORLD_EVENTS + 1);
    custodia_verify_report *report = NULL;
    CHECK_OK(custodia_ledger_verify(ro, &report, &err), err);
    CHECK(custodia_verify_report_ok(report));
    custodia_verify_report_free(report);
    custodia_string_free(lines);
    custodia_ledger_free(ro);
    world_free(&w);
}

static void test_flow_and_queries(void) {
    char path[512];
    scratch_path(path, sizeof path, "flow.ledger");
    struct world w;
    world_init(&w, path);
    custodia_error *err = NULL;
    char *out = NULL, text[2048], dispatch[65];

    /* Dispatch 12000 rounds and one rifle; the report names the event. */
    char *lines = sign_text(w.ledger, w.depot,
        "{\"kind\":\"transfer_dispatch\",\"at\":\"2026-06-01T06:00:00Z\",\"actor\":\"unit:log-bn-2\","
        "\"from\":{\"site\":\"depot:central\",\"custodian\":\"unit:log-bn-2\"},"
        "\"to\":{\"site\":\"armoury:north\",\"custodian\":\"unit:armoury-7\"},"
        "\"items\":[\"item:AK47-00123\"],\"lots\":[{\"lot\":\"lot:A-77\",\"quantity\":12000}]}\n");
    CHECK(lines && strchr(lines, '\n') == lines + strlen(lines) - 1); /* one line, ends in \n */
    char *report = NULL;
    CHECK_OK(custodia_ledger_append_json_lines(w.ledger, (const uint8_t *)lines, strlen(lines), &report, &err), err);
    json_string(report, "id", dispatch, sizeof dispatch);
    CHECK(strlen(dispatch) == 64);
    CHECK(report && strstr(report, "\"ledger_len\":9") && strstr(report, "\"index\":8"));
    custodia_string_free(report);
    custodia_string_free(lines);

    snprintf(text, sizeof text,
             "{\"kind\":\"transfer_receipt\",\"at\":\"2026-06-01T15:00:00Z\",\"actor\":\"unit:armoury-7\","
             "\"dispatch\":\"%s\",\"items\":[\"item:AK47-00123\"],"
             "\"lots\":[{\"lot\":\"lot:A-77\",\"quantity\":11990}]}\n", dispatch);
    record(w.ledger, w.armoury, text);
    CHECK(ledger_len(w.ledger) == 10);

    /* Balances: the armoury holds 11990 rounds and the rifle; 10 rounds are in discrepancy. */
    CHECK_OK(custodia_ledger_balances(w.ledger, "armoury:north", "lot:A-77", &out, &err), err);
    CHECK(out && strstr(out, "\"units\":11990") && strstr(out, "unit:armoury-7@armoury:north"));
    custodia_string_free(out);
    CHECK_OK(custodia_ledger_balances(w.ledger, NULL, "lot:A-77", &out, &err), err);
    CHECK(out && strstr(out, "\"units\":36000") && strstr(out, "\"units\":10") && strstr(out, "discrepancy:"));
    custodia_string_free(out);
    CHECK_RC(custodia_ledger_balances(w.ledger, "not a site!", NULL, &out, &err), CUSTODIA_RESULT_INVALID_ARGUMENT, err);
    custodia_error_free(err);
    err = NULL;

    /* Stock on hand with filters. */
    CHECK_OK(custodia_ledger_stock_on_hand(w.ledger, "depot:central", "7.62", "1.4", &out, &err), err);
    CHECK(out && strstr(out, "\"lines\":[") && strstr(out, "\"units\":36000") && strstr(out, "\"neq_mg\":72000000"));
    custodia_string_free(out);
    CHECK_RC(custodia_ledger_stock_on_hand(w.ledger, NULL, NULL, "2.1", &out, &err), CUSTODIA_RESULT_INVALID_ARGUMENT, err);
    custodia_error_free(err);
    err = NULL;
    /* Stock history: daily snapshots, the last one the stock on hand now (its totals). */
    CHECK_OK(custodia_ledger_stock_history(w.ledger, 86400, &out, &err), err);
    CHECK(out && out[0] == '[' && strstr(out, "{\"at\":\"") && strstr(out, "\"totals\":[") &&
          strstr(out, "{\"site\":\"depot:central\",\"hazard_division\":\"1.4\",\"units\":36000,\"neq_mg\":72000000}"));
    custodia_string_free(out);
    CHECK_RC(custodia_ledger_stock_history(w.ledger, 0, &out, &err), CUSTODIA_RESULT_INVALID_ARGUMENT, err);
    custodia_error_free(err);
    err = NULL;
    CHECK_RC(custodia_ledger_stock_history(w.ledger, -1, &out, NULL), CUSTODIA_RESULT_INVALID_ARGUMENT, NULL);

    /* Trace, lineage, find by marking. */
    CHECK_OK(custodia_ledger_trace(w.ledger, "lot:A-77", &out, &err), err);
    CHECK(out && strstr(out, "register_lot") && strstr(out, "transfer_dispatch") && strstr(out, "transfer_receipt"));
    custodia_string_free(out);
    CHECK_OK(custodia_ledger_trace(w.ledger, "lot:unknown", &out, &err), err);
    CHECK(out && strcmp(out, "[]") == 0);
    custodia_string_free(out);
    CHECK_OK(custodia_ledger_lineage(w.ledger, "lot:A-77", &out, &err), err);
    CHECK(out && strstr(out, "\"lot\":\"lot:A-77\"") && strstr(out, "\"received\":48000"));
    custodia_string_free(out);
    CHECK_OK(custodia_ledger_find_items(w.ledger, "izhmash", "kz1987-00123", &out, &err), err);
    CHECK(out && strstr(out, "item:AK47-00123") && !strstr(out, "item:AK47-00124") &&
          strstr(out, "armoury:north"));
    custodia_string_free(out);
    CHECK_OK(custodia_ledger_find_items(w.ledger, NULL, "KZ1987-00124", &out, &err), err);
    CHECK(out && strstr(out, "item:AK47-00124") && strstr(out, "depot:central"));
    custodia_string_free(out);
    CHECK_OK(custodia_ledger_find_items(w.ledger, "Colt", "KZ1987-00124", &out, &err), err);
    CHECK(out && strcmp(out, "[]") == 0);
    custodia_string_free(out);

    /* Tracing requests still open, and the reports (this world imports, exports and destroys
     * nothing: empty lines). */
    CHECK_OK(custodia_ledger_open_trace_requests(w.ledger, &out, &err), err);
    CHECK(out && strcmp(out, "[]") == 0);
    custodia_string_free(out);
    CHECK_OK(custodia_ledger_att_report(w.ledger, 2026, &out, &err), err);
    CHECK(out && strcmp(out, "{\"year\":2026,\"exports\":[],\"imports\":[]}") == 0);
    custodia_string_free(out);
    CHECK_RC(custodia_ledger_att_report(w.ledger, 10, &out, &err), CUSTODIA_RESULT_INVALID_ARGUMENT, err);
    custodia_error_free(err);
    err = NULL;
    CHECK_OK(custodia_ledger_destruction_report(w.ledger, "2000-01-01", "2099-12-31", &out, &err), err);
    CHECK(out && strstr(out, "\"destructions\":[]") && strstr(out, "\"totals\":[]"));
    custodia_string_free(out);
    CHECK_RC(custodia_ledger_destruction_report(w.ledger, "2026-02-01", "2026-01-01", &out, &err),
             CUSTODIA_RESULT_INVALID_ARGUMENT, err);
    custodia_error_free(err);
    err = NULL;

    /* Events by range, and one by id. */
    CHECK_OK(custodia_ledger_events(w.ledger, 8, UINT64_MAX, &out, &err), err);
    CHECK(out && strstr(out, "\"index\":8") && strstr(out, "\"index\":9") && !strstr(out, "\"index\":7"));
    CHECK(out && strstr(out, dispatch));
    custodia_string_free(out);
    CHECK_OK(custodia_ledger_events(w.ledger, 100, 200, &out, &err), err);
    CHECK(out && strcmp(out, "[]") == 0);
    custodia_string_free(out);
    CHECK_OK(custodia_ledger_event(w.ledger, dispatch, &out, &err), err);
    CHECK(out && strstr(out, "\"kind\":\"transfer_dispatch\"") && strstr(out, "\"index\":8"));
    custodia_string_free(out);
    CHECK_RC(custodia_ledger_event(w.ledger, "0000000000000000000000000000000000000000000000000000000000000000", &out, &err),
             CUSTODIA_RESULT_EVENT_NOT_FOUND, err);
    custodia_error_free(err);
    err = NULL;
    CHECK_RC(custodia_ledger_event(w.ledger, "xyz", &out, NULL), CUSTODIA_RESULT_INVALID_ARGUMENT, NULL);

    /* The rule plugins' input document for the dispatch, and weapons overdue (none issued). */
    CHECK_OK(custodia_ledger_rule_input(w.ledger, dispatch, &out, &err), err);
    CHECK(out && strstr(out, "\"abi\":1") && strstr(out, "\"kind\":\"transfer_dispatch\"") &&
          strstr(out, "\"signers\":[") && strstr(out, dispatch));
    custodia_string_free(out);
    CHECK_RC(custodia_ledger_rule_input(w.ledger, "0000000000000000000000000000000000000000000000000000000000000000", &out, &err),
             CUSTODIA_RESULT_EVENT_NOT_FOUND, err);
    custodia_error_free(err);
    err = NULL;
    CHECK_OK(custodia_ledger_overdue_issues(w.ledger, "2030-01-01T00:00:00Z", &out, &err), err);
    CHECK(out && strcmp(out, "[]") == 0);
    custodia_string_free(out);
    CHECK_RC(custodia_ledger_overdue_issues(w.ledger, "tomorrow", &out, NULL), CUSTODIA_RESULT_INVALID_ARGUMENT, NULL);
    CHECK_RC(custodia_ledger_overdue_issues(w.ledger, NULL, &out, NULL), CUSTODIA_RESULT_NULL_ARGUMENT, NULL);
    /* Lots due for inspection: none has a next inspection date here. */
    CHECK_OK(custodia_ledger_lots_due_inspection(w.ledger, "2100-01-01T00:00:00Z", &out, &err), err);
    CHECK(out && strcmp(out, "[]") == 0);
    custodia_string_free(out);
    CHECK_RC(custodia_ledger_lots_due_inspection(w.ledger, "tomorrow", &out, NULL), CUSTODIA_RESULT_INVALID_ARGUMENT, NULL);
    CHECK_RC(custodia_ledger_lots_due_inspection(w.ledger, NULL, &out, NULL), CUSTODIA_RESULT_NULL_ARGUMENT, NULL);
    /* Net explosive quantity in milligrams: 36000 and 11990 rounds of 2 g, division 1.4. */
    CHECK_OK(custodia_ledger_neq_totals(w.ledger, &out, &err), err);
    CHECK(out && strstr(out, "{\"site\":\"depot:central\",\"hazard_division\":\"1.4\",\"neq_mg\":72000000,") &&
          strstr(out, "{\"site\":\"armoury:north\",\"hazard_division\":\"1.4\",\"neq_mg\":23980000,"));
    custodia_string_free(out);
    CHECK_RC(custodia_ledger_neq_totals(NULL, &out, NULL), CUSTODIA_RESULT_NULL_ARGUMENT, NULL);

    /* Summary, custody graph, rules in force. */
    CHECK_OK(custodia_ledger_summary(w.ledger, &out, &err), err);
    CHECK(out && strstr(out, "\"events\":10") && strstr(out, "\"actors\":3") && strstr(out, "\"sites\":2") &&
          strstr(out, "\"open_transfers\":0") && strstr(out, "\"units_in_discrepancy\":10"));
    custodia_string_free(out);
    CHECK_OK(custodia_ledger_custody_graph(w.ledger, &out, &err), err);
    CHECK(out && strstr(out, "\"nodes\":") && strstr(out, "unit:armoury-7@armoury:north"));
    custodia_string_free(out);
    CHECK_OK(custodia_ledger_rules_in_force(w.ledger, &out, &err), err);
    CHECK(out && strcmp(out, "[]") == 0);
    custodia_string_free(out);

    /* Verify: everything checks. */
    custodia_verify_report *vr = NULL;
    CHECK_OK(custodia_ledger_verify(w.ledger, &vr, &err), err);
    CHECK(custodia_verify_report_ok(vr));
    CHECK(custodia_verify_report_events(vr) == 10);
    CHECK(custodia_verify_report_tree_heads(vr) >= 1);
    CHECK(custodia_verify_report_failure_code(vr) == CUSTODIA_RESULT_OK);
    CHECK(custodia_verify_report_failure_event(vr) == NULL);
    CHECK(custodia_verify_report_failure_message(vr) == NULL);
    CHECK(strlen(custodia_verify_report_state_digest(vr)) == 64);
    uint64_t index = 3;
    CHECK(!custodia_verify_report_failure_index(vr, &index) && index == 3);
    CHECK(strstr(custodia_verify_report_json(vr), "\"ok\":true") != NULL);
    custodia_verify_report_free(vr);
    world_free(&w);
}

static void test_proofs(void) {
    struct world w;
    world_init(&w, NULL);
    custodia_error *err = NULL;
    char *events = NULL, *out = NULL, id[65];
    CHECK_OK(custodia_ledger_events(w.ledger, 2, 3, &events, &err), err);
    json_string(events, "id", id, sizeof id);
    CHECK(strlen(id) == 64);

    CHECK_OK(custodia_ledger_inclusion_proof(w.ledger, id, 0, &out, &err), err);
    CHECK(out && strstr(out, "\"leaf_index\":2") && strstr(out, "\"tree_size\":8") && strstr(out, "\"path\":["));
    custodia_string_free(out);
    CHECK_OK(custodia_ledger_inclusion_proof(w.ledger, id, 5, &out, &err), err);
    CHECK(out && strstr(out, "\"tree_size\":5"));
    custodia_string_free(out);
    out = SENTINEL;
    CHECK_RC(custodia_ledger_inclusion_proof(w.ledger, id, 2, &out, &err), CUSTODIA_RESULT_LEAF_OUT_OF_RANGE, err);
    custodia_error_free(err);
    err = NULL;
    CHECK_RC(custodia_ledger_inclusion_proof(w.ledger, id, 100, &out, NULL), CUSTODIA_RESULT_SIZE_OUT_OF_RANGE, NULL);
    CHECK_RC(custodia_ledger_inclusion_proof(w.ledger, "abc", 0, &out, NULL), CUSTODIA_RESULT_INVALID_ARGUMENT, NULL);
    CHECK(out == SENTINEL);

    CHECK_OK(custodia_ledger_consistency_proof(w.ledger, 3, 0, &out, &err), err);
    CHECK(out && strstr(out, "\"first\":3") && strstr(out, "\"second\":8"));
    custodia_string_free(out);
    out = SENTINEL;
    CHECK_RC(custodia_ledger_consistency_proof(w.ledger, 0, 5, &out, NULL), CUSTODIA_RESULT_BAD_RANGE, NULL);
    CHECK_RC(custodia_ledger_consistency_proof(w.ledger, 6, 5, &out, NULL), CUSTODIA_RESULT_BAD_RANGE, NULL);
    CHECK_RC(custodia_ledger_consistency_proof(w.ledger, 3, 50, &out, NULL), CUSTODIA_RESULT_SIZE_OUT_OF_RANGE, NULL);
    CHECK(out == SENTINEL);
    custodia_string_free(events);
    world_free(&w);
}

static const char *STATUS_SURPLUS =
    "{\"kind\":\"status_change\",\"at\":\"2026-02-01T09:00:00Z\",\"actor\":\"unit:log-bn-2\","
    "\"lots\":[\"lot:A-77\"],\"status\":\"surplus\",\"reason\":\"obsolete calibre\"}\n";

static void test_invalid_json(void) {
    struct world w;
    world_init(&w, NULL);
    custodia_error *err = NULL;
    const char *cases[] = {
        "{\"kind\":\n",              /* truncated */
        "[1,2,3]\n",                 /* not an object */
        "{\"kind\":\"teleport\"}\n", /* not an event */
    };
    const custodia_result want[] = {
        CUSTODIA_RESULT_JSON_MALFORMED,
        CUSTODIA_RESULT_SCHEMA_VIOLATION,
        CUSTODIA_RESULT_SCHEMA_VIOLATION,
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_RC(append_text(w.ledger, cases[i], &err), want[i], err);
        uint64_t index = 9;
        CHECK(custodia_error_index(err, &index) && index == 0);
        custodia_error_free(err);
        err = NULL;
        char *out = SENTINEL;
        const custodia_key *keys[1] = {w.admin};
        CHECK_RC(custodia_ledger_sign_json_lines(w.ledger, (const uint8_t *)cases[i], strlen(cases[i]), keys, 1, &out, NULL),
                 want[i], NULL);
        CHECK(out == SENTINEL);
    }
    /* A JSON error in the second non-blank line names index 1. */
    char *good = sign_text(w.ledger, w.depot, STATUS_SURPLUS);
    if (good) {
        char text[4096];
        snprintf(text, sizeof text, "\n%s\n{oops\n", good);
        CHECK_RC(append_text(w.ledger, text, &err), CUSTODIA_RESULT_JSON_MALFORMED, err);
        uint64_t index = 9;
        CHECK(custodia_error_index(err, &index) && index == 1);
        custodia_error_free(err);
        custodia_string_free(good);
    }
    CHECK(ledger_len(w.ledger) == WORLD_EVENTS);
    world_free(&w);
}

/* Replaces the first occurrence of `from` (same length as `to`) in `s`. */
static int replace_once(char *s, const char *from, const char *to) {
    char *p = strstr(s, from);
    if (!p || strlen(from) != strlen(to)) return 0;
    memcpy(p, to, strlen(to));
    return 1;
}

static void test_wrong_signature(void) {
    struct world w;
    world_init(&w, NULL);
    custodia_error *err = NULL;
    /* Signed by a key that is not the actor's: refused when signing and when appending. */
    char *lines = NULL;
    const custodia_key *keys[1] = {w.armoury};
    custodia_result rc = custodia_ledger_sign_json_lines(
        w.ledger, (const uint8_t *)STATUS_SURPLUS, strlen(STATUS_SURPLUS), keys, 1, &lines, &err);
    CHECK(rc == CUSTODIA_RESULT_ACTOR_DID_NOT_SIGN);
    CHECK(lines == NULL);
    custodia_error_free(err);
    err = NULL;

    /* A signature whose bytes were altered. */
    lines = sign_text(w.ledger, w.depot, STATUS_SURPLUS);
    if (lines) {
        char *sig = strstr(lines, "\"sig\":\"");
        CHECK(sig != NULL);
        if (sig) sig[7] = sig[7] == '0' ? '1' : '0';
        CHECK_RC(append_text(w.ledger, lines, &err), CUSTODIA_RESULT_BAD_SIGNATURE, err);
        CHECK(custodia_error_event(err) != NULL && strlen(custodia_error_event(err)) == 64);
        custodia_error_free(err);
        err = NULL;
    }
    custodia_string_free(lines);

    /* A signature by an unknown key, well formed. */
    lines = sign_text(w.ledger, w.depot, STATUS_SURPLUS);
    if (lines) {
        CHECK(replace_once(lines, w.depot_pub, w.log_pub));
        rc = append_text(w.ledger, lines, &err);
        CHECK(rc == CUSTODIA_RESULT_UNKNOWN_KEY || rc == CUSTODIA_RESULT_BAD_SIGNATURE);
        custodia_error_free(err);
        err = NULL;
    }
    custodia_string_free(lines);
    CHECK(ledger_len(w.ledger) == WORLD_EVENTS);
    world_free(&w);
}

static void test_forged_id(void) {
    struct world w;
    world_init(&w, NULL);
    custodia_error *err = NULL;
    char *lines = sign_text(w.ledger, w.depot, STATUS_SURPLUS);
    if (lines) {
        /* Content changed after signing: the id no longer matches. */
        char *copy = strdup(lines);
        CHECK(replace_once(copy, "obsolete", "obsolet_"));
        CHECK_RC(append_text(w.ledger, copy, &err), CUSTODIA_RESULT_ID_MISMATCH, err);
        CHECK(custodia_error_field(err) != NULL);
        custodia_error_free(err);
        err = NULL;
        free(copy);

        /* The id itself replaced by another. */
        char id[65];
        json_string(lines, "id", id, sizeof id);
        char forged[65];
        memcpy(forged, id, 65);
        forged[0] = forged[0] == 'a' ? 'b' : 'a';
        CHECK(replace_once(lines, id, forged));
        CHECK_RC(append_text(w.ledger, lines, &err), CUSTODIA_RESULT_ID_MISMATCH, err);
        custodia_error_free(err);
        err = NULL;
    }
    custodia_string_free(lines);

    /* An event without id but with signatures, and a signed event given to sign again. */
    lines = sign_text(w.ledger, w.depot, STATUS_SURPLUS);
    if (lines) {
        char *out = SENTINEL;
        const custodia_key *keys[1] = {w.depot};
        CHECK_RC(custodia_ledger_sign_json_lines(w.ledger, (const uint8_t *)lines, strlen(lines), keys, 1, &out, &err),
                 CUSTODIA_RESULT_ALREADY_SIGNED, err);
        CHECK(out == SENTINEL);
        custodia_error_free(err);
        err = NULL;
        /* Appending it twice: the second is a duplicate. */
        CHECK_OK(append_text(w.ledger, lines, &err), err);
        CHECK_RC(append_text(w.ledger, lines, &err), CUSTODIA_RESULT_DUPLICATE_EVENT, err);
        custodia_error_free(err);
        err = NULL;
    }
    custodia_string_free(lines);
    /* Unsigned events cannot be appended. */
    CHECK_RC(append_text(w.ledger,
                         "{\"v\":1,\"kind\":\"status_change\",\"at\":\"2026-02-01T09:00:00Z\",\"actor\":\"unit:log-bn-2\","
                         "\"parents\":[],\"lots\":[\"lot:A-77\"],\"status\":\"surplus\",\"reason\":\"x\"}\n", &err),
             CUSTODIA_RESULT_SCHEMA_VIOLATION, err);
    custodia_error_free(err);
    CHECK(ledger_len(w.ledger) == WORLD_EVENTS + 1);
    world_free(&w);
}

static void test_batch_all_or_nothing(void) {
    struct world w;
    world_init(&w, NULL);
    custodia_error *err = NULL;
    char *before = NULL, *after = NULL;
    CHECK_OK(custodia_ledger_balances(w.ledger, NULL, NULL, &before, &err), err);
    /* Two events signed as one batch, the second moving more than is left. */
    const char *text =
        "{\"kind\":\"transfer_dispatch\",\"at\":\"2026-06-01T06:00:00Z\",\"actor\":\"unit:log-bn-2\","
        "\"from\":{\"site\":\"depot:central\",\"custodian\":\"unit:log-bn-2\"},"
        "\"to\":{\"site\":\"armoury:north\",\"custodian\":\"unit:armoury-7\"},"
        "\"lots\":[{\"lot\":\"lot:A-77\",\"quantity\":40000}]}\n"
        "{\"kind\":\"transfer_dispatch\",\"at\":\"2026-06-01T07:00:00Z\",\"actor\":\"unit:log-bn-2\","
        "\"from\":{\"site\":\"depot:central\",\"custodian\":\"unit:log-bn-2\"},"
        "\"to\":{\"site\":\"armoury:north\",\"custodian\":\"unit:armoury-7\"},"
        "\"lots\":[{\"lot\":\"lot:A-77\",\"quantity\":10000}]}\n";
    char *out = SENTINEL;
    const custodia_key *keys[1] = {w.depot};
    CHECK_RC(custodia_ledger_sign_json_lines(w.ledger, (const uint8_t *)text, strlen(text), keys, 1, &out, &err),
             CUSTODIA_RESULT_INSUFFICIENT_STOCK, err);
    uint64_t index = 0;
    CHECK(custodia_error_index(err, &index) && index == 1);
    CHECK(custodia_error_field(err) && strcmp(custodia_error_field(err), "/lots/0/quantity") == 0);
    CHECK(custodia_error_event(err) && strlen(custodia_error_event(err)) == 64);
    CHECK(strstr(custodia_error_json(err), "\"available\":8000") && strstr(custodia_error_json(err), "\"requested\":10000"));
    CHECK(out == SENTINEL);
    custodia_error_free(err);
    err = NULL;

    /* The same at append time: each signed alone (valid alone), appended as one batch. */
    const char *second_text = strchr(text, '\n') + 1;
    char first_text[1024];
    snprintf(first_text, sizeof first_text, "%.*s", (int)(second_text - text), text);
    char *a = sign_text(w.ledger, w.depot, first_text);
    /* 48000 - 40000 = 8000 left after `a`; `b` (10000) is signed against the ledger before. */
    char *b = sign_text(w.ledger, w.depot, second_text);
    if (a && b) {
        char batch[8192];
        snprintf(batch, sizeof batch, "%s%s", a, b);
        CHECK_RC(append_text(w.ledger, batch, &err), CUSTODIA_RESULT_INSUFFICIENT_STOCK, err);
        index = 0;
        CHECK(custodia_error_index(err, &index) && index == 1);
        custodia_error_free(err);
        err = NULL;
    }
    CHECK_OK(custodia_ledger_balances(w.ledger, NULL, NULL, &after, &err), err);
    CHECK(before && after && strcmp(before, after) == 0);
    CHECK(ledger_len(w.ledger) == WORLD_EVENTS);
    custodia_string_free(a);
    custodia_string_free(b);
    custodia_string_free(before);
    custodia_string_free(after);
    world_free(&w);
}

static void test_second_writer_handles(void) {
    char path[512];
    scratch_path(path, sizeof path, "two.ledger");
    struct world w;
    world_init(&w, path);
    custodia_error *err = NULL;
    custodia_ledger *second = NULL;
    CHECK_OK(custodia_ledger_open(path, w.log, &second, &err), err);

    /* The first handle appends; the second sees it and cannot append it again. */
    char *lines = sign_text(w.ledger, w.depot, STATUS_SURPLUS);
    if (lines) {
        CHECK_OK(append_text(w.ledger, lines, &err), err);
        CHECK(ledger_len(second) == WORLD_EVENTS + 1);
        CHECK_RC(append_text(second, lines, &err), CUSTODIA_RESULT_DUPLICATE_EVENT, err);
        custodia_error_free(err);
        err = NULL;
    }
    custodia_string_free(lines);
    /* The second appends; the first sees it. */
    record(second, w.depot,
           "{\"kind\":\"status_change\",\"at\":\"2026-02-02T09:00:00Z\",\"actor\":\"unit:log-bn-2\","
           "\"lots\":[\"lot:A-77\"],\"status\":\"serviceable\",\"reason\":\"reissued\"}\n");
    CHECK(ledger_len(w.ledger) == WORLD_EVENTS + 2);
    custodia_verify_report *vr = NULL;
    CHECK_OK(custodia_ledger_verify(w.ledger, &vr, &err), err);
    CHECK(custodia_verify_report_ok(vr) && custodia_verify_report_events(vr) == WORLD_EVENTS + 2);
    custodia_verify_report_free(vr);
    custodia_ledger_free(second);
    world_free(&w);
}

/* A child process appends to its own lot while the parent appends to the rifles: both land,
 * one writer at a time. */
static void test_second_writer_process(void) {
    char path[512];
    scratch_path(path, sizeof path, "fork.ledger");
    struct world w;
    world_init(&w, path);
    const int rounds = 3;
    /* No SQLite connection may cross fork(): close ours, fork, and each side opens its own. */
    custodia_ledger_free(w.ledger);
    w.ledger = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        /* The child: its own handle (never share one across fork). */
        custodia_ledger *mine = NULL;
        custodia_error *err = NULL;
        int failed = custodia_ledger_open(path, w.log, &mine, &err) != CUSTODIA_RESULT_OK;
        for (int i = 0; i < rounds && !failed; i++) {
            char text[512];
            snprintf(text, sizeof text,
                     "{\"kind\":\"status_change\",\"at\":\"2026-03-%02dT09:00:00Z\",\"actor\":\"unit:log-bn-2\","
                     "\"lots\":[\"lot:A-77\"],\"status\":\"%s\",\"reason\":\"child %d\"}\n",
                     i + 1, i % 2 ? "serviceable" : "surplus", i);
            const custodia_key *keys[1] = {w.depot};
            char *lines = NULL;
            failed = custodia_ledger_sign_json_lines(mine, (const uint8_t *)text, strlen(text), keys, 1, &lines, &err) != 0 ||
                     custodia_ledger_append_json_lines(mine, (const uint8_t *)lines, strlen(lines), NULL, &err) != 0;
            custodia_string_free(lines);
        }
        if (failed) fprintf(stderr, "child: %s\n", err ? custodia_error_json(err) : "?");
        custodia_error_free(err);
        custodia_ledger_free(mine);
        world_free(&w);
        _exit(failed ? 1 : 0);
    }
    CHECK(pid > 0);
    custodia_error *open_err = NULL;
    CHECK_OK(custodia_ledger_open(path, w.log, &w.ledger, &open_err), open_err);
    custodia_error_free(open_err);
    for (int i = 0; i < rounds && w.ledger; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "{\"kind\":\"status_change\",\"at\":\"2026-03-%02dT10:00:00Z\",\"actor\":\"unit:log-bn-2\","
                 "\"items\":[\"item:AK47-00123\"],\"status\":\"%s\",\"reason\":\"parent %d\"}\n",
                 i + 1, i % 2 ? "serviceable" : "unserviceable", i);
        record(w.ledger, w.depot, text);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(ledger_len(w.ledger) == (uint64_t)(WORLD_EVENTS + 2 * rounds));
    custodia_verify_report *vr = NULL;
    custodia_error *err = NULL;
    CHECK_OK(custodia_ledger_verify(w.ledger, &vr, &err), err);
    CHECK(custodia_verify_report_ok(vr));
    custodia_verify_report_free(vr);
    world_free(&w);
}

/* Bytes of a ledger file changed behind custodia's back: verification names the event. */
static void test_damaged_file(void) {
    char path[512];
    scratch_path(path, sizeof path, "damaged.ledger");
    struct world w;
    world_init(&w, path);
    custodia_ledger_free(w.ledger); /* closes the file, folding the WAL into it */
    w.ledger = NULL;

    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (!f) return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    char *bytes = malloc((size_t)size);
    fseek(f, 0, SEEK_SET);
    CHECK(bytes && fread(bytes, 1, (size_t)size, f) == (size_t)size);
    /* The stored JSON of the lot's registration holds its nomenclature: change one letter. */
    int changed = 0;
    for (long i = 0; bytes && i + 10 < size; i++) {
        if (memcmp(bytes + i, "cartridge 7", 11) == 0) {
            bytes[i] = 'C';
            changed++;
        }
    }
    CHECK(changed >= 1);
    fseek(f, 0, SEEK_SET);
    CHECK(fwrite(bytes, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    free(bytes);

    custodia_ledger *l = NULL;
    custodia_error *err = NULL;
    CHECK_OK(custodia_ledger_open(path, NULL, &l, &err), err);
    custodia_verify_report *vr = NULL;
    CHECK_OK(custodia_ledger_verify(l, &vr, &err), err);
    CHECK(!custodia_verify_report_ok(vr));
    custodia_result code = custodia_verify_report_failure_code(vr);
    CHECK(code == CUSTODIA_RESULT_ID_MISMATCH);
    uint64_t index = 0;
    CHECK(custodia_verify_report_failure_index(vr, &index) && index == 5);
    CHECK(custodia_verify_report_failure_message(vr) != NULL);
    CHECK(custodia_verify_report_events(vr) == 5);
    const char *json = custodia_verify_report_json(vr);
    CHECK(json && strstr(json, "\"ok\":false"));
    CHECK(custodia_verify_report_failure_field(vr) && strcmp(custodia_verify_report_failure_field(vr), "/id") == 0);
    CHECK(custodia_verify_report_failure_event(vr) && strlen(custodia_verify_report_failure_event(vr)) == 64);
    if (code != CUSTODIA_RESULT_ID_MISMATCH) fprintf(stderr, "report: %s\n", json);
    custodia_verify_report_free(vr);
    custodia_ledger_free(l);
    world_free(&w);
}

static void test_rules(void) {
    struct world w;
    world_init(&w, NULL);
    custodia_error *err = NULL;
    custodia_rules *rules = SENTINEL;
    char *out = NULL;

    char missing[512];
    scratch_path(missing, sizeof missing, "no-such-plugins");
    CHECK_RC(custodia_rules_load_dir(missing, &rules, &err), CUSTODIA_RESULT_PLUGIN_LOAD, err);
    CHECK(rules == SENTINEL);
    custodia_error_free(err);
    err = NULL;

    if (no_plugin_host) {
        /* Where the wasm engine cannot start, loading fails cleanly with the rule family's
         * code and writes nothing; where it can, an empty folder loads. */
        custodia_result rc = custodia_rules_load_dir(scratch_dir, &rules, &err);
        CHECK(rc == CUSTODIA_RESULT_PLUGIN_LOAD || rc == CUSTODIA_RESULT_OK);
        if (rc == CUSTODIA_RESULT_OK) {
            custodia_rules_free(rules);
        } else {
            CHECK(rules == SENTINEL);
            CHECK(custodia_error_code(err) == CUSTODIA_RESULT_PLUGIN_LOAD);
        }
        custodia_error_free(err);
        printf("     (rule plugins: the real ones are tested without valgrind)\n");
        world_free(&w);
        return;
    }
    if (!plugins_dir) {
        /* An empty folder: no plugins, and an empty set can be put in force. */
        CHECK_OK(custodia_rules_load_dir(scratch_dir, &rules, &err), err);
    } else {
        CHECK_OK(custodia_rules_load_dir(plugins_dir, &rules, &err), err);
    }
    if (checks_failed) {
        custodia_error_free(err);
        world_free(&w);
        return;
    }
    CHECK_OK(custodia_rules_json(rules, &out, &err), err);
    CHECK(out && out[0] == '[' && (plugins_dir == NULL || strstr(out, "\"sha256\":")));
    custodia_string_free(out);

    /* Only an administrator puts rules in force. */
    CHECK_RC(custodia_ledger_put_rules_in_force(w.ledger, rules, "unit:log-bn-2", "2026-02-01T00:00:00Z", w.depot, NULL, &err),
             CUSTODIA_RESULT_MISSING_ROLE, err);
    custodia_error_free(err);
    err = NULL;
    CHECK_RC(custodia_ledger_put_rules_in_force(w.ledger, rules, "agency:mod", "yesterday", w.admin, NULL, &err),
             CUSTODIA_RESULT_INVALID_ARGUMENT, err);
    custodia_error_free(err);
    err = NULL;
    CHECK(ledger_len(w.ledger) == WORLD_EVENTS);

    char *event = NULL;
    CHECK_OK(custodia_ledger_put_rules_in_force(w.ledger, rules, "agency:mod", "2026-02-01T00:00:00Z", w.admin, &event, &err),
             err);
    CHECK(event && strstr(event, "\"kind\":\"rules_in_force\""));
    custodia_string_free(event);
    custodia_rules_free(rules); /* the ledger keeps its own reference */

    CHECK_OK(custodia_ledger_rules_in_force(w.ledger, &out, &err), err);
    CHECK(out && (plugins_dir == NULL ? strcmp(out, "[]") == 0 : strstr(out, "\"sha256\":") != NULL));
    custodia_string_free(out);

    /* Appends are judged by the plugins from now on; a plain status change passes. */
    record(w.ledger, w.depot, STATUS_SURPLUS);
    CHECK(ledger_len(w.ledger) == WORLD_EVENTS + 2);
    custodia_verify_report *vr = NULL;
    CHECK_OK(custodia_ledger_verify(w.ledger, &vr, &err), err);
    CHECK(custodia_verify_report_ok(vr));
    custodia_verify_report_free(vr);

    if (plugins_dir) {
        /* Without the plugins, an append cannot be judged: refused, not waved through. */
        CHECK_OK(custodia_ledger_set_rules(w.ledger, NULL, &err), err);
        char *lines = sign_text(w.ledger, w.depot,
            "{\"kind\":\"status_change\",\"at\":\"2026-02-03T09:00:00Z\",\"actor\":\"unit:log-bn-2\","
            "\"lots\":[\"lot:A-77\"],\"status\":\"serviceable\",\"reason\":\"reissued\"}\n");
        if (lines) {
            custodia_result rc = append_text(w.ledger, lines, &err);
            CHECK(rc / 1000 == 6); /* a rule code */
            custodia_error_free(err);
            err = NULL;
        }
        custodia_string_free(lines);
        CHECK(ledger_len(w.ledger) == WORLD_EVENTS + 2);
    }
    world_free(&w);
}

/* The ten Ed25519 edge cases of ed25519-speccheck (core/tests/data/ed25519-speccheck): the
 * ledger's signature rule (FORMAT.md section 4) accepts none of them, and the C API gives the
 * same verdict as the core's single and batched checks; two RFC 8032 vectors verify. */
static size_t unhex(const char *hex, uint8_t *out, size_t cap) {
    size_t n = strlen(hex) / 2;
    CHECK(n <= cap);
    for (size_t i = 0; i < n && i < cap; i++) {
        unsigned int b = 0;
        CHECK(sscanf(hex + 2 * i, "%2x", &b) == 1);
        out[i] = (uint8_t)b;
    }
    return n;
}

static void test_signature_verify(void) {
    static const char *const cases[10][3] = {
        {"8c93255d71dcab10e8f379c26200f3c7bd5f09d9bc3068d3ef4edeb4853022b6",
         "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
         "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a0000000000000000000000000000000000000000000000000000000000000000"},
        {"9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
         "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
         "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04"},
        {"aebf3f2601a0c8c5d39cc7d8911642f740b78168218da8471772b35f9d35b9ab",
         "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
         "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa8c4bd45aecaca5b24fb97bc10ac27ac8751a7dfe1baff8b953ec9f5833ca260e"},
        {"9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
         "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
         "9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009"},
        {"e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c",
         "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
         "160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed5125ec6bc982a269b723e0668e540911a9a6a58921d6925e434ab10aa7940551a09"},
        {"e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c",
         "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
         "21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7e40bc836dac0f71076f9abe3a53f9c03c1ceeeddb658d0030494ace586687405"},
        {"85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40",
         "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623",
         "e96f66be976d82e60150baecff9906684aebb1ef181f67a7189ac78ea23b6c0e547f7690a0e2ddcd04d87dbc3490dc19b3b3052f7ff0538cb68afb369ba3a514"},
        {"85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40",
         "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623",
         "8ce5b96c8f26d0ab6c47958c9e68b937104cd36e13c33566acd2fe8d38aa19427e71f98a473474f2f13f06f97c20d58cc3f54b8bd0d272f42b695dd7e89a8c22"},
        {"fdaebc429f4a735932a160da1301080c13280eea8bc280d1b392c6b9e6ba3a5a",
         "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
         "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f454d370c8d9fc323a41450f8d513eafeb5b0697390c1e505a0d4ddc71f566607"},
        {"84b698d39be126ff55fe45079e6c8bf64a0d7db6994560b4e96b7021eb39c1a1",
         "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
         "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f084d5b99c2a9463d9c8bd5026916996984eeec87ddf1d3be329006ace1b37b09"},
    };
    static const char *const good[2][3] = {
        {"",
         "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
         "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
        {"72",
         "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
         "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    };
    uint8_t msg[64] = {0}, key[32] = {0}, sig[64] = {0};
    custodia_error *err = NULL;
    for (size_t i = 0; i < 10; i++) {
        size_t m = unhex(cases[i][0], msg, sizeof msg);
        CHECK(unhex(cases[i][1], key, sizeof key) == 32);
        CHECK(unhex(cases[i][2], sig, sizeof sig) == 64);
        bool valid = true;
        CHECK_OK(custodia_signature_verify(key, 32, msg, m, sig, 64, &valid, &err), err);
        if (valid)
            fprintf(stderr, "speccheck case %zu: accepted, expected refused\n", i);
        CHECK(!valid);
    }
    for (size_t i = 0; i < 2; i++) {
        size_t m = unhex(good[i][0], msg, sizeof msg);
        CHECK(unhex(good[i][1], key, sizeof key) == 32);
        CHECK(unhex(good[i][2], sig, sizeof sig) == 64);
        bool valid = false;
        CHECK_OK(custodia_signature_verify(key, 32, msg, m, sig, 64, &valid, &err), err);
        CHECK(valid);
        /* Another message (one more byte, or one bit flipped): refused. */
        uint8_t other[64];
        memcpy(other, msg, sizeof other);
        other[0] ^= 1;
        valid = true;
        CHECK_OK(custodia_signature_verify(key, 32, other, m > 0 ? m : 1, sig, 64, &valid, &err),
                 err);
        CHECK(!valid);
    }
    /* Bad lengths and NULLs: typed errors, the verdict left alone. */
    bool untouched = true;
    CHECK_RC(custodia_signature_verify(key, 31, msg, 1, sig, 64, &untouched, &err),
             CUSTODIA_RESULT_INVALID_ARGUMENT, err);
    CHECK(custodia_error_code(err) == CUSTODIA_RESULT_INVALID_ARGUMENT);
    custodia_error_free(err);
    err = NULL;
    CHECK_RC(custodia_signature_verify(key, 32, msg, 1, sig, 65, &untouched, &err),
             CUSTODIA_RESULT_INVALID_ARGUMENT, err);
    custodia_error_free(err);
    err = NULL;
    CHECK_RC(custodia_signature_verify(key, 32, NULL, 0, sig, 64, &untouched, &err),
             CUSTODIA_RESULT_NULL_ARGUMENT, err);
    custodia_error_free(err);
    err = NULL;
    CHECK_RC(custodia_signature_verify(key, 32, msg, 1, sig, 64, NULL, &err),
             CUSTODIA_RESULT_NULL_ARGUMENT, err);
    custodia_error_free(err);
    CHECK(untouched);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "-") == 0)
        no_plugin_host = 1;
    else if (argc > 1)
        plugins_dir = argv[1];
    scratch_init();
    RUN(test_version);
    RUN(test_free_null);
    RUN(test_keys);
    RUN(test_key_files);
    RUN(test_signature_verify);
    RUN(test_error_object);
    RUN(test_null_arguments);
    RUN(test_invalid_utf8);
    RUN(test_lengths);
    RUN(test_create_and_open);
    RUN(test_not_a_ledger);
    RUN(test_read_only);
    RUN(test_flow_and_queries);
    RUN(test_proofs);
    RUN(test_invalid_json);
    RUN(test_wrong_signature);
    RUN(test_forged_id);
    RUN(test_batch_all_or_nothing);
    RUN(test_second_writer_handles);
    RUN(test_second_writer_process);
    RUN(test_damaged_file);
    RUN(test_rules);
    scratch_remove();
    return finish("test_api");
}
