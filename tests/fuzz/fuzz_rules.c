/* fuzz_rules.c — libFuzzer target for the rule loader: arbitrary text as a
 * rules file. A set that loads is evaluated on a few records and its
 * messages rendered. Beyond "no crash": loading either succeeds or says
 * where it failed (FILE:LINE:COLUMN), findings stay within the record's
 * array, and a message never overruns its buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/fields.h"
#include "rules/engine.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* As main() does: the rule loader looks its fields up in the program's
 * table. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    field_registry_use(&fields_program);
    return 0;
}

#include "fuzz_check.h"

static void records(struct handshake *h, int which)
{
    static struct handshake_report report;
    static struct handshake_rare rare;
    memset(h, 0, sizeof(*h));
    handshake_attach_report(h, &report);
    handshake_attach_rare(h, &rare);
    h->report->primary = -1;
    h->client.ip_version = h->server.ip_version = which == 2 ? 6 : 4;
    h->client.addr[0] = 10;
    h->server.port = 443;
    h->ch.seen = true;
    h->ch.legacy_version = 0x0303;
    h->ch.has_sni = which != 1;
    strcpy(h->ch.sni, "fuzz.example");
    h->ch.ciphers.head[0] = 0x1301;
    h->ch.ciphers.n = 1;
    h->outcome = which == 0 ? OUTCOME_ESTABLISHED : OUTCOME_FAILED;
    if (which != 0) {
        rare.alerts.v[0] = (struct tls_alert){.sender = 1, .level = 2,
                                              .description = 40};
        rare.alerts.n = 1;
    } else {
        h->sh.seen = true;
        h->sh.version = 0x0304;
        h->sh.cipher = 0x1301;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[RULES_ERROR_LEN];
    struct rule_set *rs = rules_load_string("fuzz.yaml", (const char *)data,
                                            size, err, sizeof(err));
    if (!rs) {
        CHECK(strncmp(err, "fuzz.yaml", 9) == 0 ||
              strncmp(err, "rules:", 6) == 0);
        return 0;
    }
    struct handshake h;
    char message[256];
    for (int which = 0; which < 3; which++) {
        records(&h, which);
        rules_evaluate(rs, &h);
        CHECK(h.report->findings.n <= HS_MAX_FINDINGS);
        CHECK(h.report->findings.n <= h.report->findings.total);
        CHECK(h.report->primary < (int)h.report->findings.n);
        for (size_t i = 0; i < h.report->findings.n; i++) {
            rules_message(h.report->findings.v[i].rule, &h, message,
                          sizeof(message));
            CHECK(memchr(message, '\0', sizeof(message)) != NULL);
        }
    }
    rules_free(rs);
    return 0;
}
