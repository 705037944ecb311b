/* The exact number parser (strtod.c) against glibc's strtod, and the shortest formatter
 * (gmoe__dtoa_short) against strtod and snprintf: bit-identical doubles on hard cases and on
 * millions of random ones. */
#include <config.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "dtoa.h"
#include "strtod.h"
#include "testutil.h"

static uint64_t state = 0x2545F4914F6CDD1Du;
static uint64_t next_u64(void)
{
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1Du;
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Check one string: when the fast parser answers, strtod must read the whole string without
 * error and give the same bits. Returns whether the fast parser answered. */
static int check_parse(const char *s)
{
    double got = 0;
    int fast = gmoe__parse_double(s, strlen(s), &got);
    if (!fast) return 0;
    char *end;
    errno = 0;
    double want = strtod(s, &end);
    ck_assert_msg(*end == '\0', "%s: the fast parser took text strtod does not", s);
    ck_assert_msg(errno == 0, "%s: the fast parser answered where strtod sets errno", s);
    ck_assert_msg(same_bits(got, want), "%s: %a, strtod %a", s, got, want);
    return 1;
}

/* Halfway cases, the limits of the exponent, subnormals, long significands, 17+ digits. */
static const char *hard[] = {"0",
                             "-0",
                             "+0",
                             "0.0",
                             "0e999999",
                             "-0e-5",
                             "1",
                             "-1",
                             "+1.5",
                             ".5",
                             "5.",
                             "-.25e1",
                             "9007199254740992",
                             "9007199254740993",
                             "9007199254740994",
                             "9007199254740995",
                             "9007199254740993.0000000000000000001",
                             "9007199254740992.9999999999999999999",
                             "1.00000000000000011102230246251565404236316680908203125",
                             "1.00000000000000011102230246251565404236316680908203124",
                             "1.00000000000000011102230246251565404236316680908203126",
                             "0.1000000000000000055511151231257827021181583404541015625",
                             "0.1000000000000000055511151231257827021181583404541015624",
                             "0.1000000000000000055511151231257827021181583404541015626",
                             "0.1",
                             "0.2",
                             "0.3",
                             "3.6",
                             "3.6000000000000001",
                             "2.2250738585072011e-308",
                             "2.2250738585072014e-308",
                             "2.2250738585072012e-308",
                             "2.225073858507201136057409796709131975934819546351645648e-308",
                             "4.9406564584124654e-324",
                             "5e-324",
                             "2.4703282292062327e-324",
                             "2.4703282292062328e-324",
                             "1e-324",
                             "1e-400",
                             "1.7976931348623157e308",
                             "1.7976931348623158e308",
                             "1.7976931348623159e308",
                             "1e308",
                             "1e309",
                             "1e-307",
                             "1e-308",
                             "1e-295",
                             "1e-296",
                             "1e342",
                             "1e-342",
                             "123456789012345678901234567890",
                             "12345678901234567890",
                             "1234567890123456789",
                             "18446744073709551615",
                             "18446744073709551616",
                             "1e22",
                             "1e23",
                             /* the edges of the exact (Clinger) path: w <= 2^53, |q| <= 22 */
                             "9007199254740992e22",
                             "9007199254740992e-22",
                             "9007199254740993e-22",
                             "9007199254740991e23",
                             "1e-22",
                             "1e-23",
                             "4.9e-22",
                             "123456789012345e-22",
                             "0.53282384750738",
                             "-0.000000000000000000000000000000123",
                             "8.98846567431158e307",
                             "00000000000000000000000000001",
                             "0.000000000000000000000000001e27",
                             "1000000000000000000000000000e-27",
                             "4503599627370496.5",
                             "4503599627370497.5",
                             "7.3177701707893310e+15",
                             "2.0000000000000004440892098500626161694526672363281250001",
                             "1e99999999999",
                             "1e-99999999999",
                             "",
                             "+",
                             "-",
                             ".",
                             "e5",
                             "1e",
                             "1e+",
                             "1e-",
                             "1.2.3",
                             "1e5e5",
                             "1,5",
                             " 1",
                             "1 ",
                             "inf",
                             "-inf",
                             "Infinity",
                             "nan",
                             "nan(123)",
                             "0x1p3",
                             "0x1.8p1",
                             "1d5",
                             "--1",
                             "+-1",
                             "1e+5",
                             "1E5",
                             "1e05"};

START_TEST(test_parse_hard)
{
    int fast = 0;
    for (size_t i = 0; i < sizeof hard / sizeof hard[0]; i++)
        fast += check_parse(hard[i]);
    /* Malformed text is left to strtod, which then reports it. */
    const char *bad[] = {"", "+", ".", "1e", "1,5", " 1", "inf", "nan", "0x1p3", "1d5", "1e5e5"};
    double v;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_int_eq(gmoe__parse_double(bad[i], strlen(bad[i]), &v), 0);
    /* The common forms are decided without strtod. */
    const char *easy[] = {"0.1", "3.6", "-2.5e-3", "12345678901234567", "1e308", "1e-290"};
    for (size_t i = 0; i < sizeof easy / sizeof easy[0]; i++)
        ck_assert_msg(gmoe__parse_double(easy[i], strlen(easy[i]), &v), "%s", easy[i]);
    ck_assert_int_gt(fast, 40);
    /* The field need not be NUL-terminated: only n bytes are read. */
    ck_assert_int_eq(gmoe__parse_double("2.5e1x", 5, &v), 1);
    ck_assert(v == 25);
}
END_TEST

/* A finite double of any exponent (subnormals included), or a moderate one. */
static double random_double(size_t i)
{
    for (;;) {
        uint64_t u = next_u64();
        double v;
        if (i % 2 == 0)
            memcpy(&v, &u, sizeof v);
        else
            v = ldexp((double)(u >> 11) * 0x1p-53, (int)(next_u64() % 80) - 40);
        if (isfinite(v)) return v;
    }
}

START_TEST(test_parse_random_doubles)
{
    char s[64];
    size_t fast = 0, total = 0;
    for (size_t i = 0; i < 1000000; i++) {
        double v = random_double(i);
        static const char *fmt[] = {"%.17g", "%.16g", "%.15g", "%.17e", "%.20g", "%.3g"};
        snprintf(s, sizeof s, fmt[i % 6], v);
        fast += (size_t)check_parse(s);
        gmoe__dtoa_short(v, s);
        fast += (size_t)check_parse(s);
        total += 2;
    }
    /* Subnormals and near ties go to strtod; the rest should not. */
    ck_assert_msg(fast > total * 9 / 10, "%zu of %zu parsed fast", fast, total);
}
END_TEST

/* Random decimal text: 1-30 digits with a point anywhere and an exponent. */
START_TEST(test_parse_random_text)
{
    char s[96];
    for (size_t i = 0; i < 1000000; i++) {
        int nd = 1 + (int)(next_u64() % 30), dot = (int)(next_u64() % (uint64_t)(nd + 1)), o = 0;
        if (next_u64() % 2) s[o++] = '-';
        for (int j = 0; j < nd; j++) {
            if (j == dot) s[o++] = '.';
            /* Runs of 0 and 9 make ties and carries likely. */
            uint64_t r = next_u64() % 4;
            s[o++] = r == 0 ? '0' : r == 1 ? '9' : (char)('0' + next_u64() % 10);
        }
        if (next_u64() % 2)
            o += snprintf(s + o, sizeof s - (size_t)o, "e%d", (int)(next_u64() % 660) - 340);
        s[o] = '\0';
        check_parse(s);
    }
}
END_TEST

/* The digits of a decimal written by gmoe__dtoa_short, leading and trailing zeros aside. */
static int significant_digits(const char *s)
{
    int n = 0, lead = 1, zeros = 0;
    for (; *s && *s != 'e'; s++) {
        if (*s < '0' || *s > '9') continue;
        if (lead && *s == '0') continue;
        lead = 0;
        if (*s == '0') {
            zeros++;
        } else {
            n += zeros + 1;
            zeros = 0;
        }
    }
    return n;
}

static void check_short(double v)
{
    char got[GMOE__DTOA_BUFSIZE], shorter[64];
    size_t len = gmoe__dtoa_short(v, got);
    ck_assert_uint_eq(len, strlen(got));
    ck_assert_uint_lt(len, GMOE__DTOA_BUFSIZE);
    double back = strtod(got, NULL);
    ck_assert_msg(same_bits(back, v), "%a written as %s reads back as %a", v, got, back);
    if (v == 0 || !isfinite(v)) return;
    /* No decimal one digit shorter reads back: not the correctly rounded one at least. */
    int P = significant_digits(got);
    if (P > 1) {
        snprintf(shorter, sizeof shorter, "%.*e", P - 2, v);
        int m;
        frexp(v, &m);
        int pow2 = fabs(v) == ldexp(1, m - 1);
        ck_assert_msg(strtod(shorter, NULL) != v || (pow2 && P == 17), "%a: %s, but %s reads back",
                      v, got, shorter);
    }
    /* Layout as %.17g: the same exponent form, and equal text when 17 digits are needed. */
    char g17[64];
    snprintf(g17, sizeof g17, "%.17g", v);
    ck_assert_msg((strchr(got, 'e') != NULL) == (strchr(g17, 'e') != NULL), "%s vs %s", got, g17);
    if (P == 17) ck_assert_str_eq(got, g17);
}

START_TEST(test_short_hard)
{
    static const struct {
        double v;
        const char *s;
    } known[] = {{3.6, "3.6"},
                 {0.1, "0.1"},
                 {0.3, "0.3"},
                 {0.1 + 0.2, "0.30000000000000004"},
                 {-2.5, "-2.5"},
                 {1e23, "1e+23"},
                 {1e16, "10000000000000000"},
                 {1e17, "1e+17"},
                 {1e-4, "0.0001"},
                 {1e-5, "1e-05"},
                 {0x1p-1074, "5e-324"},
                 {DBL_MAX, "1.7976931348623157e+308"},
                 {DBL_MIN, "2.2250738585072014e-308"},
                 {9007199254740993.0, "9007199254740992"},
                 {-0.0, "-0"},
                 {0.0, "0"},
                 {123456.0, "123456"}};
    char got[GMOE__DTOA_BUFSIZE];
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        gmoe__dtoa_short(known[i].v, got);
        ck_assert_str_eq(got, known[i].s);
        check_short(known[i].v);
    }
    /* Powers of two and of ten, and their neighbours. */
    for (int e = -1074; e <= 1023; e++) {
        check_short(ldexp(1, e));
        check_short(nextafter(ldexp(1, e), 0));
        check_short(nextafter(ldexp(1, e), INFINITY));
    }
    for (int k = -323; k <= 308; k++) {
        double p = pow(10, k);
        check_short(p);
        check_short(nextafter(p, 0));
        check_short(nextafter(p, INFINITY));
    }
}
END_TEST

START_TEST(test_short_random)
{
    for (size_t i = 0; i < 1000000; i++)
        check_short(random_double(i));
}
END_TEST

static Suite *numconv_suite(void)
{
    Suite *s = suite_create("numconv");
    TCase *tc = tcase_create("parse");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_parse_hard);
    tcase_add_test(tc, test_parse_random_doubles);
    tcase_add_test(tc, test_parse_random_text);
    suite_add_tcase(s, tc);
    tc = tcase_create("format");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_short_hard);
    tcase_add_test(tc, test_short_random);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(numconv_suite());
}
