/* CSV reading and writing: format features, every error message, exact round trips.
 * Fixtures are written into a fresh temporary directory; expected values and messages are
 * spelled out by hand or computed with snprintf/strtod, never captured from gmoe itself. */
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "dtoa.h"
#include "testutil.h"

static char tmpdir[512];
static char pathbuf[1024];

static void tmpdir_make(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/gmoe-test-csv-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) abort();
}

static void tmpdir_remove(void)
{
    DIR *dir = opendir(tmpdir);
    if (dir) {
        struct dirent *de;
        while ((de = readdir(dir))) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
            snprintf(pathbuf, sizeof pathbuf, "%s/%s", tmpdir, de->d_name);
            remove(pathbuf);
        }
        closedir(dir);
    }
    rmdir(tmpdir);
}

static const char *tmppath(const char *name)
{
    snprintf(pathbuf, sizeof pathbuf, "%s/%s", tmpdir, name);
    return pathbuf;
}

/* Write len bytes to a file of the temporary directory; returns its path (static storage,
 * valid until the next call). */
static const char *fixture_n(const char *name, const char *text, size_t len)
{
    const char *path = tmppath(name);
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
    ck_assert_int_eq(fclose(fp), 0);
    return path;
}

static const char *fixture(const char *name, const char *text)
{
    return fixture_n(name, text, strlen(text));
}

static gmoe_data *read_ok(const char *text, const gmoe_csv_spec *spec)
{
    const char *path = fixture("ok.csv", text);
    gmoe_data *data = NULL;
    gmoe_error err = {0};
    int rc = gmoe_csv_read(path, spec, &data, &err);
    ck_assert_msg(rc == GMOE_SUCCESS, "unexpected error: %s", err.msg);
    ck_assert_ptr_nonnull(data);
    return data;
}

/* The read must fail with code and the message path + suffix, and leave *out NULL. */
static void read_fails(const char *path, const gmoe_csv_spec *spec, int code, const char *suffix)
{
    gmoe_data *data = (gmoe_data *)&data; /* must be reset to NULL */
    gmoe_error err = {0};
    char want[2048];
    snprintf(want, sizeof want, "%s%s", path, suffix);
    int rc = gmoe_csv_read(path, spec, &data, &err);
    ck_assert_int_eq(rc, code);
    ck_assert_int_eq(err.code, code);
    ck_assert_ptr_null(data);
    ck_assert_str_eq(err.msg, want);
}

static void bad(const char *text, const gmoe_csv_spec *spec, const char *suffix)
{
    read_fails(fixture("bad.csv", text), spec, GMOE_EPARSE, suffix);
}

static void assert_col(const double *got, const double *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "value %zu: %.17g != %.17g", i, got[i], want[i]);
}

/* ------------------------------------------------------------------ reading */

START_TEST(test_basic)
{
    gmoe_data *d = read_ok("x,y\n1,2\n3.5,-4e-3\n", NULL);
    ck_assert_uint_eq(d->n, 2);
    ck_assert_uint_eq(d->d, 1);
    assert_col(d->x, (double[]){1, 3.5}, 2);
    assert_col(d->y, (double[]){2, -4e-3}, 2);
    gmoe_data_free(d);
}
END_TEST

START_TEST(test_default_x_in_file_order)
{
    gmoe_data *d = read_ok("a,y,b\n1,2,3\n4,5,6\n", NULL);
    ck_assert_uint_eq(d->d, 2);
    assert_col(d->x, (double[]){1, 4, 3, 6}, 4); /* column-major: a then b */
    assert_col(d->y, (double[]){2, 5}, 2);
    gmoe_data_free(d);
}
END_TEST

START_TEST(test_selection_order)
{
    /* Unselected columns are not parsed as numbers, but still counted. */
    const char *xs[] = {"b", "a"};
    gmoe_csv_spec spec = {.y = "c", .x = xs, .nx = 2};
    gmoe_data *d = read_ok("a,b,c,label\n1,2,3,foo\n4,5,6,\n", &spec);
    ck_assert_uint_eq(d->n, 2);
    ck_assert_uint_eq(d->d, 2);
    assert_col(d->x, (double[]){2, 5, 1, 4}, 4);
    assert_col(d->y, (double[]){3, 6}, 2);
    gmoe_data_free(d);

    const char *one[] = {"a"};
    gmoe_csv_spec spec1 = {.x = one, .nx = 1};
    d = read_ok("a,b,y\n1,oops,3\n", &spec1);
    ck_assert_uint_eq(d->d, 1);
    assert_col(d->x, (double[]){1}, 1);
    assert_col(d->y, (double[]){3}, 1);
    gmoe_data_free(d);
}
END_TEST

START_TEST(test_y_optional)
{
    gmoe_csv_spec spec = {.y_optional = 1};
    gmoe_data *d = read_ok("x1,x2\n1,2\n", &spec);
    ck_assert_uint_eq(d->d, 2);
    ck_assert_ptr_null(d->y);
    assert_col(d->x, (double[]){1, 2}, 2);
    gmoe_data_free(d);

    d = read_ok("x1,y\n1,2\n", &spec); /* present: read */
    ck_assert_uint_eq(d->d, 1);
    ck_assert_ptr_nonnull(d->y);
    assert_col(d->y, (double[]){2}, 1);
    gmoe_data_free(d);

    gmoe_csv_spec named = {.y = "resp"};
    d = read_ok("resp,x\n7,8\n", &named);
    assert_col(d->x, (double[]){8}, 1);
    assert_col(d->y, (double[]){7}, 1);
    gmoe_data_free(d);

    /* Only y: no covariates at all. */
    d = read_ok("y\n1\n2\n", NULL);
    ck_assert_uint_eq(d->d, 0);
    ck_assert_uint_eq(d->n, 2);
    gmoe_data_free(d);
}
END_TEST

START_TEST(test_quoted_fields)
{
    const char *xs[] = {"a\"b", "p,q"};
    gmoe_csv_spec spec = {.x = xs, .nx = 2};
    gmoe_data *d = read_ok("\"a\"\"b\",\"p,q\",note,\"y\"\n"
                           "\"1.5\",2,\"multi\nline, \"\"quoted\"\"\",\"-3\"\n"
                           "4,  \"5\"  ,\"\",6\n",
                           &spec);
    ck_assert_uint_eq(d->n, 2);
    assert_col(d->x, (double[]){1.5, 4, 2, 5}, 4);
    assert_col(d->y, (double[]){-3, 6}, 2);
    gmoe_data_free(d);
}
END_TEST

static const char *x_name[] = {"x"};
static const gmoe_csv_spec only_x = {.x = x_name, .nx = 1};

START_TEST(test_comments_blank_crlf_bom)
{
    gmoe_data *d = read_ok("\xEF\xBB\xBF# written by hand\n\n  \t\nx,y\r\n# mid\r\n1,2\r\n\r\n"
                           "3,4\n# end without newline",
                           NULL);
    ck_assert_uint_eq(d->n, 2);
    assert_col(d->x, (double[]){1, 3}, 2);
    assert_col(d->y, (double[]){2, 4}, 2);
    gmoe_data_free(d);

    d = read_ok("\xEF\xBB\xBFy,x\n1,2", NULL); /* BOM right before a name; no final newline */
    assert_col(d->y, (double[]){1}, 1);
    gmoe_data_free(d);

    /* A '#' inside a quoted field is data, not a comment. */
    d = read_ok("x,note,y\n1,\"a\n# not a comment\",2\n", &only_x);
    ck_assert_uint_eq(d->n, 1);
    gmoe_data_free(d);
}
END_TEST

START_TEST(test_trimming)
{
    gmoe_data *d = read_ok(" x ,\ty\t\n  1 ,\t2 \n \"3\" , 4\r\n", NULL);
    ck_assert_uint_eq(d->n, 2);
    assert_col(d->x, (double[]){1, 3}, 2);
    assert_col(d->y, (double[]){2, 4}, 2);
    gmoe_data_free(d);
}
END_TEST

START_TEST(test_number_syntax)
{
    /* Underflow to a subnormal or zero is accepted; hexadecimal floats are strtod's. */
    gmoe_data *d = read_ok("x,y\n1e-400,4.9e-324\n-0,0x1p-3\n+.5,1E+2\n", NULL);
    double den = 0x1p-1074;
    assert_col(d->x, (double[]){0, -0.0, 0.5}, 3);
    assert_col(d->y, (double[]){den, 0.125, 100}, 3);
    ck_assert(signbit(d->x[1]));
    gmoe_data_free(d);
}
END_TEST

START_TEST(test_stdin)
{
    const char *path = fixture("stdin.csv", "x,y\n1,2\n");
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    int saved = dup(0);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_eq(dup2(fileno(fp), 0), 0);
    fclose(fp);
    gmoe_data *d = NULL;
    gmoe_error err;
    int rc = gmoe_csv_read("-", NULL, &d, &err);
    dup2(saved, 0);
    close(saved);
    clearerr(stdin);
    ck_assert_int_eq(rc, GMOE_SUCCESS);
    assert_col(d->y, (double[]){2}, 1);
    gmoe_data_free(d);
}
END_TEST

/* ------------------------------------------------------------------ errors */

START_TEST(test_err_files)
{
    read_fails(tmppath("missing.csv"), NULL, GMOE_EIO, ": cannot open: No such file or directory");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", tmpdir);
    read_fails(dir, NULL, GMOE_EIO, ": is a directory");
}
END_TEST

START_TEST(test_err_empty)
{
    bad("", NULL, ": empty file (no header row)");
    bad("# only a comment\n\n   \n", NULL, ": empty file (no header row)");
    bad("\xEF\xBB\xBF", NULL, ": empty file (no header row)");
    bad("x,y\n", NULL, ": no data rows");
    bad("x,y\n# nothing\n\n", NULL, ": no data rows");
}
END_TEST

START_TEST(test_err_ragged)
{
    bad("x,y\n1,2\n3\n", NULL, ":3: expected 2 fields, found 1");
    bad("x,y\n1,2,3\n", NULL, ":2: expected 2 fields, found 3");
    bad("x,y\n1,2,\n", NULL, ":2: expected 2 fields, found 3");
    /* Ragged is reported rather than the value it garbles. */
    bad("x,y\nabc\n", NULL, ":2: expected 2 fields, found 1");
    /* Line numbers count comments, blank lines and lines inside quoted fields. */
    bad("# c\n\nx,note,y\n1,\"a\nb\nc\",2\n\n4,5\n", &only_x, ":8: expected 3 fields, found 2");
}
END_TEST

START_TEST(test_err_values)
{
    bad("x,y\n1,abc\n", NULL, ":2: column \"y\" (field 2): not a number: \"abc\"");
    bad("x,y\n1.5x,1\n", NULL, ":2: column \"x\" (field 1): not a number: \"1.5x\"");
    bad("x,y\n\" 1\",1\n", NULL, ":2: column \"x\" (field 1): not a number: \" 1\"");
    bad("x,y\n1 2,1\n", NULL, ":2: column \"x\" (field 1): not a number: \"1 2\"");
    bad("x,y\n,2\n", NULL, ":2: column \"x\" (field 1): empty field");
    bad("x,y\n1,\"\"\n", NULL, ":2: column \"y\" (field 2): empty field");
    bad("x,y\n \t,2\n", NULL, ":2: column \"x\" (field 1): empty field");
    bad("x,y\nnan,1\n", NULL, ":2: column \"x\" (field 1): not finite: \"nan\"");
    bad("x,y\n1,NaN\n", NULL, ":2: column \"y\" (field 2): not finite: \"NaN\"");
    bad("x,y\n1,-inf\n", NULL, ":2: column \"y\" (field 2): not finite: \"-inf\"");
    bad("x,y\nInfinity,1\n", NULL, ":2: column \"x\" (field 1): not finite: \"Infinity\"");
    bad("x,y\n1e999,1\n", NULL, ":2: column \"x\" (field 1): out of range: \"1e999\"");
    bad("x,y\n1,-1e400\n", NULL, ":2: column \"y\" (field 2): out of range: \"-1e400\"");
    /* Messages stay on one line and show at most 64 bytes of the field. */
    bad("x,y\n1,\"a\nb\"\n", NULL, ":2: column \"y\" (field 2): not a number: \"a\\nb\"");
    bad("x,y\n1,abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij\n", NULL,
        ":2: column \"y\" (field 2): not a number: "
        "\"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcd\"...");
    /* The first bad field of the row is reported, on the line where it starts. */
    bad("x,note,y\n1,\"two\nlines\",zz\n", &only_x,
        ":3: column \"y\" (field 3): not a number: \"zz\"");
    bad("x,y\n1,2\n3,4\n5,x\n", NULL, ":4: column \"y\" (field 2): not a number: \"x\"");
}
END_TEST

/* A magnitude limit (gmoe fit's) is checked on the selected columns only. */
START_TEST(test_err_max_abs)
{
    gmoe_csv_spec lim = {.max_abs = 1e150};
    bad("x,y\n1,2\n1e151,3\n", &lim,
        ":3: column \"x\" (field 1): too large to fit: \"1e151\" (|value| > 1e+150)");
    bad("x,y\n1,-2e200\n", &lim,
        ":2: column \"y\" (field 2): too large to fit: \"-2e200\" (|value| > 1e+150)");
    gmoe_data *d = read_ok("x,y\n1e150,-1e150\n", &lim);
    assert_col(d->x, (double[]){1e150}, 1);
    assert_col(d->y, (double[]){-1e150}, 1);
    gmoe_data_free(d);
    const char *xs[] = {"x"};
    gmoe_csv_spec only = {.x = xs, .nx = 1, .max_abs = 1e150};
    d = read_ok("x,big,y\n1,1e300,2\n", &only);
    ck_assert_uint_eq(d->d, 1);
    gmoe_data_free(d);
}
END_TEST

/* The line of a data row, past comments, blank lines and quoted line breaks. */
START_TEST(test_row_line)
{
    const char *path =
        fixture("lines.csv", "\xEF\xBB\xBF# c\nx,note,y\n1,\"a\nb\",2\n\n3,,4\r\n5,,6");
    char p[1024];
    snprintf(p, sizeof p, "%s", path);
    size_t line = 0;
    gmoe_error err = {0};
    static const size_t want[] = {3, 6, 7};
    for (size_t row = 0; row < 3; row++) {
        ck_assert_int_eq(gmoe_csv_row_line(p, row, &line, &err), GMOE_SUCCESS);
        ck_assert_uint_eq(line, want[row]);
    }
    ck_assert_int_eq(gmoe_csv_row_line(p, 3, &line, &err), GMOE_EINVAL);
    char msg[1100];
    snprintf(msg, sizeof msg, "%s: no data row 4", p);
    ck_assert_str_eq(err.msg, msg);
    ck_assert_int_eq(gmoe_csv_row_line("-", 0, &line, &err), GMOE_EINVAL);
    ck_assert_int_eq(gmoe_csv_row_line(tmppath("none.csv"), 0, &line, &err), GMOE_EIO);
}
END_TEST

START_TEST(test_err_header)
{
    bad("x,y,x\n1,2,3\n", NULL, ":1: duplicate column name \"x\"");
    bad("# c\ny,a,b,a,b\n1,2,3,4,5\n", NULL, ":2: duplicate column name \"a\"");
    bad("a,b\n1,2\n", NULL, ":1: no column named \"y\"");
    const char *xs[] = {"x", "z"};
    gmoe_csv_spec spec = {.x = xs, .nx = 2};
    bad("\n\nx,y\n1,2\n", &spec, ":3: no column named \"z\"");
    gmoe_csv_spec ny = {.y = "resp"};
    bad("x,y\n1,2\n", &ny, ":1: no column named \"resp\"");
}
END_TEST

START_TEST(test_err_quotes)
{
    bad("x,y\n1,\"2\n3,4\n", NULL, ":2: column \"y\" (field 2): unterminated quoted field");
    bad("\"x,y\n1,2\n", NULL, ":1: field 1: unterminated quoted field");
    bad("x,y\n1,2\n3,4,\"5\n", NULL, ":3: field 3: unterminated quoted field");
    bad("x,y\n\"1\"2,3\n", NULL, ":2: column \"x\" (field 1): text after closing quote");
    bad("x,\"y\" z\n1,2\n", NULL, ":1: field 2: text after closing quote");
}
END_TEST

START_TEST(test_err_spec)
{
    const char *path = fixture("spec.csv", "x,y\n1,2\n");
    char p[1024];
    snprintf(p, sizeof p, "%s", path);
    const char *both[] = {"x", "y"};
    gmoe_csv_spec spec = {.x = both, .nx = 2};
    read_fails(p, &spec, GMOE_EINVAL, ": column \"y\" selected as both y and x");
    const char *both2[] = {"x"};
    gmoe_csv_spec spec2 = {.y = "x", .x = both2, .nx = 1};
    read_fails(p, &spec2, GMOE_EINVAL, ": column \"x\" selected as both y and x");
    const char *both3[] = {"y"};
    gmoe_csv_spec spec3y = {.x = both3, .nx = 1, .y_optional = 1};
    read_fails(p, &spec3y, GMOE_EINVAL, ": column \"y\" selected as both y and x");
    const char *twice[] = {"x", "x"};
    gmoe_csv_spec spec3 = {.x = twice, .nx = 2};
    read_fails(p, &spec3, GMOE_EINVAL, ": column \"x\" selected twice as x");
}
END_TEST

/* ------------------------------------------------------------------ writing */

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Awkward doubles: random bit patterns (every exponent, subnormals), signed zeros, extremes,
 * values just around powers of ten. */
static double awkward(size_t i)
{
    static const double special[] = {
        0.0,  -0.0, DBL_MAX, -DBL_MAX, DBL_MIN, 0x1p-1074, -0x1p-1074,        0.1, 1e-5, 1e-4,
        1e16, 1e17, 1e22,    1e23,     0.3,     2.0 / 3,   9007199254740993.0};
    const size_t ns = sizeof special / sizeof special[0];
    if (i < ns) return special[i];
    for (;;) {
        uint64_t u = rng();
        double v;
        if (i % 3 == 0) {
            memcpy(&v, &u, sizeof v);
        } else if (i % 3 == 1) {
            v = ldexp((double)(u >> 11), (int)(rng() % 2200) - 1130);
        } else {
            v = (double)(u >> 11) * 0x1p-53 * 10 - 3;
        }
        if (isfinite(v)) return v;
    }
}

static size_t file_slurp(const char *path, char *buf, size_t cap)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    size_t n = fread(buf, 1, cap - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    return n;
}

START_TEST(test_dtoa_matches_printf)
{
    char got[GMOE__DTOA_BUFSIZE], want[64];
    for (size_t i = 0; i < 1000000; i++) {
        double v = awkward(i);
        size_t len = gmoe__dtoa17(v, got);
        snprintf(want, sizeof want, "%.17g", v);
        ck_assert_str_eq(got, want);
        ck_assert_uint_eq(len, strlen(want));
    }
}
END_TEST

START_TEST(test_write_format)
{
    gmoe_data *d = gmoe_data_alloc(3, 2, 1);
    double x[] = {0.1, -0.0, 1e300, 1, 2, 3}, y[] = {1, 2.5, 0x1p-1074};
    memcpy(d->x, x, sizeof x);
    memcpy(d->y, y, sizeof y);
    const char *path = tmppath("w.csv");
    char p[1024], got[4096], want[4096];
    snprintf(p, sizeof p, "%s", path);
    gmoe_error err;
    ck_assert_int_eq(gmoe_csv_write(p, d, &err), GMOE_SUCCESS);
    /* The shortest decimals that read back as the same doubles. */
    file_slurp(p, got, sizeof got);
    ck_assert_str_eq(got, "x1,x2,y\n0.1,1,1\n-0,2,2.5\n1e+300,3,5e-324\n");

    /* No y: no y column. */
    free(d->y);
    d->y = NULL;
    ck_assert_int_eq(gmoe_csv_write(p, d, &err), GMOE_SUCCESS);
    file_slurp(p, got, sizeof got);
    ck_assert_str_eq(got, "x1,x2\n0.1,1\n-0,2\n1e+300,3\n");
    gmoe_data_free(d);
}
END_TEST

START_TEST(test_write_errors)
{
    gmoe_data *d = gmoe_data_alloc(2, 1, 1);
    d->y[1] = NAN;
    char p[1024], want[1200];
    snprintf(p, sizeof p, "%s", tmppath("nan.csv"));
    gmoe_error err;
    ck_assert_int_eq(gmoe_csv_write(p, d, &err), GMOE_EINVAL);
    snprintf(want, sizeof want, "%s: row 2: y is not finite", p);
    ck_assert_str_eq(err.msg, want);
    ck_assert_int_ne(access(p, F_OK), 0); /* nothing written, not even a temporary */
    d->y[1] = 0;
    d->x[0] = -INFINITY;
    ck_assert_int_eq(gmoe_csv_write(p, d, &err), GMOE_EINVAL);
    snprintf(want, sizeof want, "%s: row 1: x1 is not finite", p);
    ck_assert_str_eq(err.msg, want);

    d->x[0] = 0;
    snprintf(p, sizeof p, "%s", tmppath("no/such/dir.csv"));
    ck_assert_int_eq(gmoe_csv_write(p, d, &err), GMOE_EIO);
    snprintf(want, sizeof want, "%s: cannot write: No such file or directory", p);
    ck_assert_str_eq(err.msg, want);
    gmoe_data_free(d);

    d = gmoe_data_alloc(2, 0, 0);
    snprintf(p, sizeof p, "%s", tmppath("empty.csv"));
    ck_assert_int_eq(gmoe_csv_write(p, d, &err), GMOE_EINVAL);
    snprintf(want, sizeof want, "%s: no columns", p);
    ck_assert_str_eq(err.msg, want);
    ck_assert_int_ne(access(p, F_OK), 0);
    gmoe_data_free(d);
}
END_TEST

START_TEST(test_round_trip)
{
    const size_t n = 20000, dd = 3;
    gmoe_data *d = gmoe_data_alloc(n, dd, 1);
    for (size_t i = 0; i < n * dd; i++)
        d->x[i] = awkward(i);
    for (size_t i = 0; i < n; i++)
        d->y[i] = awkward(n * dd + i);
    char p[1024];
    snprintf(p, sizeof p, "%s", tmppath("rt.csv"));
    gmoe_error err;
    ck_assert_int_eq(gmoe_csv_write(p, d, &err), GMOE_SUCCESS);
    gmoe_data *back = NULL;
    ck_assert_msg(gmoe_csv_read(p, NULL, &back, &err) == GMOE_SUCCESS, "%s", err.msg);
    ck_assert_uint_eq(back->n, n);
    ck_assert_uint_eq(back->d, dd);
    ck_assert_mem_eq(back->x, d->x, n * dd * sizeof(double)); /* bit-exact, -0 included */
    ck_assert_mem_eq(back->y, d->y, n * sizeof(double));
    gmoe_data_free(back);

    free(d->y);
    d->y = NULL;
    ck_assert_int_eq(gmoe_csv_write(p, d, &err), GMOE_SUCCESS);
    gmoe_csv_spec spec = {.y_optional = 1};
    ck_assert_msg(gmoe_csv_read(p, &spec, &back, &err) == GMOE_SUCCESS, "%s", err.msg);
    ck_assert_ptr_null(back->y);
    ck_assert_mem_eq(back->x, d->x, n * dd * sizeof(double));
    gmoe_data_free(back);
    gmoe_data_free(d);
}
END_TEST

/* ------------------------------------------------------------------ large inputs */

START_TEST(test_large_file)
{
    /* 2e5 rows, mixed LF and CRLF, a comment every 1000 rows, and one quoted field of 3 MB
     * with newlines in it, so records straddle many read chunks and the buffer must grow. */
    const size_t n = 200000, big = 3u << 20;
    const char *path = tmppath("large.csv");
    char p[1024];
    snprintf(p, sizeof p, "%s", path);
    FILE *fp = fopen(p, "wb");
    ck_assert_ptr_nonnull(fp);
    fprintf(fp, "note,y,x\n");
    size_t line = 1, big_lines = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 1000 == 0) {
            fprintf(fp, "# block %zu\n", i / 1000);
            line++;
        }
        if (i == n / 2) {
            fputc('"', fp);
            for (size_t b = 0; b < big; b++) {
                int c = b % 1000 == 999 ? '\n' : b % 7 == 0 ? ',' : 'a';
                big_lines += c == '\n';
                fputc(c, fp);
            }
            fputs("\"\"\"", fp);
        }
        fprintf(fp, ",%zu.25,-%zu.5%s", i, i, i % 2 ? "\r\n" : "\n");
        line++;
    }
    fprintf(fp, "1,2\n"); /* ragged, after everything */
    line++;
    ck_assert_int_eq(fclose(fp), 0);

    char suffix[128];
    snprintf(suffix, sizeof suffix, ":%zu: expected 3 fields, found 2", line + big_lines);
    read_fails(p, &only_x, GMOE_EPARSE, suffix);

    /* Drop the ragged last line and read everything. */
    fp = fopen(p, "r+b");
    ck_assert_ptr_nonnull(fp);
    ck_assert_int_eq(fseek(fp, -4, SEEK_END), 0);
    fputs("#..", fp);
    fclose(fp);
    gmoe_data *d = NULL;
    gmoe_error err;
    ck_assert_msg(gmoe_csv_read(p, &only_x, &d, &err) == GMOE_SUCCESS, "%s", err.msg);
    ck_assert_uint_eq(d->n, n);
    ck_assert_uint_eq(d->d, 1);
    size_t last = 0;
    ck_assert_int_eq(gmoe_csv_row_line(p, n - 1, &last, &err), GMOE_SUCCESS);
    ck_assert_uint_eq(last, line + big_lines - 1);
    for (size_t i = 0; i < n; i++) {
        ck_assert_double_eq(d->y[i], (double)i + 0.25);
        ck_assert_double_eq(d->x[i], -((double)i + 0.5));
    }
    gmoe_data_free(d);
}
END_TEST

/* gmoe_csv_read_names: the header's names of the selected columns, covariates in the
 * selection's order, then the response; unquoted, without the BOM; none on failure. */
START_TEST(test_read_names)
{
    const char *path = fixture("names.csv", "\xEF\xBB\xBF# c\n\"wait, min\",erupt , z\n1,2,3\n");
    const char *sel[] = {"z", "erupt"};
    gmoe_csv_spec spec = {.y = "wait, min", .x = sel, .nx = 2};
    gmoe_data *data = NULL;
    char **names = NULL;
    gmoe_error err = {0};
    ck_assert_int_eq(gmoe_csv_read_names(path, &spec, &data, &names, &err), GMOE_SUCCESS);
    ck_assert_str_eq(names[0], "z");
    ck_assert_str_eq(names[1], "erupt");
    ck_assert_str_eq(names[2], "wait, min");
    ck_assert_double_eq(data->x[0], 3);
    free(names);
    gmoe_data_free(data);
    /* Default selection without a response: every column, in file order. */
    spec = (gmoe_csv_spec){.y_optional = 1};
    ck_assert_int_eq(gmoe_csv_read_names(path, &spec, &data, &names, &err), GMOE_SUCCESS);
    ck_assert_uint_eq(data->d, 3);
    ck_assert_ptr_null(data->y);
    ck_assert_str_eq(names[0], "wait, min");
    ck_assert_str_eq(names[2], "z");
    free(names);
    gmoe_data_free(data);
    names = (char **)&names;
    ck_assert_int_eq(gmoe_csv_read_names(path, NULL, &data, &names, &err), GMOE_EPARSE);
    ck_assert_ptr_null(names);
}
END_TEST

static Suite *csv_suite(void)
{
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("read");
    tcase_add_unchecked_fixture(tc, tmpdir_make, tmpdir_remove);
    tcase_add_test(tc, test_basic);
    tcase_add_test(tc, test_default_x_in_file_order);
    tcase_add_test(tc, test_selection_order);
    tcase_add_test(tc, test_y_optional);
    tcase_add_test(tc, test_quoted_fields);
    tcase_add_test(tc, test_comments_blank_crlf_bom);
    tcase_add_test(tc, test_trimming);
    tcase_add_test(tc, test_number_syntax);
    tcase_add_test(tc, test_stdin);
    tcase_add_test(tc, test_read_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_unchecked_fixture(tc, tmpdir_make, tmpdir_remove);
    tcase_add_test(tc, test_err_files);
    tcase_add_test(tc, test_err_empty);
    tcase_add_test(tc, test_err_ragged);
    tcase_add_test(tc, test_err_values);
    tcase_add_test(tc, test_err_max_abs);
    tcase_add_test(tc, test_row_line);
    tcase_add_test(tc, test_err_header);
    tcase_add_test(tc, test_err_quotes);
    tcase_add_test(tc, test_err_spec);
    suite_add_tcase(s, tc);

    tc = tcase_create("write");
    tcase_add_unchecked_fixture(tc, tmpdir_make, tmpdir_remove);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_dtoa_matches_printf);
    tcase_add_test(tc, test_write_format);
    tcase_add_test(tc, test_write_errors);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_large_file);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(csv_suite());
}
