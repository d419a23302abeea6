/* fuzz_ech.c — libFuzzer target for the Encrypted Client Hello parsers
 * (dissectors/ech.c). The first input byte picks the parser: 0 the
 * ClientHello extension, 1 the HelloRetryRequest confirmation, 2 an
 * ECHConfigList, 3 an EncryptedExtensions body (the key-log path, which
 * hands retry configs to ech.c); the rest is its input.
 * Beyond "no crash": the cursor stays inside the input, a parser that says
 * yes consumed everything, kept configs stay within the array and under the
 * total, the public name is terminated and printable, and a parsed
 * extension's lengths are the lengths that were read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dissectors/ech.h"
#include "dissectors/tls_messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "fuzz_check.h"

static void check_retry(const struct ech_retry *r)
{
    CHECK(r->n_configs <= HS_MAX_ECH_CONFIGS);
    CHECK(r->n_configs <= r->n_configs_total);
    CHECK(memchr(r->public_name, '\0', sizeof(r->public_name)) != NULL);
    for (const char *p = r->public_name; *p; p++)
        CHECK(*p > 0x20 && *p < 0x7f);
    CHECK(r->n_configs == 0 || r->public_name[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t len = size - 1;
    struct cursor c = cursor_make(data + 1, len);
    bool ok = false;

    switch (data[0] % 4) {
    case 0: {
        struct ech_hello e;
        ok = ech_parse_client_hello_ext(&c, &e);
        CHECK(e.present);
        CHECK(ok == !e.malformed);
        if (ok && e.type == ECH_OUTER)
            CHECK((size_t)e.enc_len + e.payload_len + 10 == len);
        if (ok && e.type == ECH_INNER)
            CHECK(len == 1);
        break;
    }
    case 1: {
        struct hello_retry hrr = {0};
        ok = ech_parse_hrr_ext(&c, &hrr);
        CHECK(ok == hrr.ech_confirmation);
        CHECK(ok == (len == 8));
        break;
    }
    case 2: {
        struct ech_retry r = {0};
        ok = ech_parse_config_list(&c, &r);
        check_retry(&r);
        break;
    }
    case 3: {
        static struct encrypted_extensions ee;
        ok = tls_parse_encrypted_extensions(&c, &ee);
        check_retry(&ee.ech);
        CHECK(ee.seen);
        CHECK(!ee.ech.malformed || ee.ech.has_retry_configs);
        break;
    }
    }
    CHECK(cursor_pos(&c) <= len);
    CHECK(!ok || cursor_left(&c) == 0);
    return 0;
}
