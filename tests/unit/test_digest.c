/* test_digest.c — digest_oneshot on published vectors (FIPS 180's and RFC
 * 1321's "abc" and empty-input values for MD5, SHA-1, SHA-256 and SHA-384),
 * with the algorithms interleaved on one thread's kept contexts, a fifth
 * algorithm sharing a context, a refused digest, and several threads at
 * once. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/hex.h"
#include "dissectors/digest.h"

struct vector {
    const EVP_MD *(*md)(void);
    const char *input, *hex;
};

static const EVP_MD *sha512(void)
{
    return EVP_sha512();
}

static const struct vector vectors[] = {
    {digest_md5, "abc", "900150983cd24fb0d6963f7d28e17f72"},
    {digest_sha256, "abc",
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {digest_sha1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {digest_md5, "", "d41d8cd98f00b204e9800998ecf8427e"},
    {digest_sha384, "abc",
     "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
     "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
    {sha512, "abc",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
    {digest_sha256, "",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {digest_sha384, "abc",
     "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
     "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"},
};

/* Every vector `rounds` times in turn, through digest_recent's memo or
 * not; false at the first wrong one. */
static bool all_vectors(int rounds, bool recent)
{
    for (int r = 0; r < rounds; r++) {
        for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
            const struct vector *v = &vectors[i];
            uint8_t d[EVP_MAX_MD_SIZE];
            char hex[2 * EVP_MAX_MD_SIZE + 1];
            unsigned int n = 0;
            bool hashed =
                recent ? digest_recent(v->md(), v->input, strlen(v->input), d,
                                       &n)
                       : digest_oneshot(v->md(), v->input, strlen(v->input),
                                        d, &n);
            if (!hashed || 2 * n != strlen(v->hex))
                return false;
            hex_encode(d, n, hex, false);
            if (strcmp(hex, v->hex) != 0)
                return false;
        }
    }
    return true;
}

static void test_vectors_interleaved(void **state)
{
    (void)state;
    assert_true(all_vectors(3, false));
    assert_true(all_vectors(3, true)); /* misses, then hits */
}

static void test_refused(void **state)
{
    (void)state;
    uint8_t d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    assert_false(digest_oneshot(NULL, "abc", 3, d, &n));
    assert_false(digest_recent(NULL, "abc", 3, d, &n));
    /* The contexts are still good after a refusal. */
    assert_true(all_vectors(1, false));
    assert_true(all_vectors(1, true));
}

/* Many distinct buffers, more than the memo holds, some longer than it
 * keeps, over two rounds with both digests: every answer from the memo is
 * the buffer's own digest. */
static void test_recent_many(void **state)
{
    (void)state;
    char buf[400];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 1000; i++) {
            size_t len = (size_t)(i % 7 == 0 ? 300 : i % 50);
            for (size_t k = 0; k < len; k++)
                buf[k] = (char)('a' + ((size_t)i + k * 7) % 26);
            if (len >= 3)
                snprintf(buf, 4, "%03d", i % 1000);
            const EVP_MD *md = i % 2 ? digest_md5() : digest_sha256();
            uint8_t a[EVP_MAX_MD_SIZE], b[EVP_MAX_MD_SIZE];
            unsigned int na = 0, nb = 0;
            assert_true(digest_oneshot(md, buf, len, a, &na));
            assert_true(digest_recent(md, buf, len, b, &nb));
            assert_int_equal(na, nb);
            assert_memory_equal(a, b, na);
        }
    }
}

static void *vectors_in_thread(void *ok)
{
    *(bool *)ok = all_vectors(100, false) && all_vectors(100, true);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    enum { THREADS = 4 };
    pthread_t th[THREADS];
    bool ok[THREADS] = {false};
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(
            pthread_create(&th[i], NULL, vectors_in_thread, &ok[i]), 0);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_true(ok[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_interleaved),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_recent_many),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
