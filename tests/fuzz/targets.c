/* Fuzz targets shared by the libFuzzer harnesses and the regression runner (targets.h). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gmoe.h"
#include "targets.h"

/* The truth a config may name as "truth = truth.json", beside the config file. */
static const char truth_json[] =
    "{\"gmoe_model\": 1, \"gate\": \"softmax\", \"experts\": [\n"
    " {\"beta0\": -8, \"beta1\": [25], \"a\": [-20], \"b\": 15, \"var\": 0.09},\n"
    " {\"beta0\": 0, \"beta1\": [0], \"a\": [20], \"b\": -5, \"var\": 0.16}]}\n";

static char dir[512];

static void dir_remove(void)
{
    char path[1024];
    DIR *dp = opendir(dir);
    if (dp) {
        struct dirent *de;
        while ((de = readdir(dp))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            remove(path);
        }
        closedir(dp);
    }
    rmdir(dir);
}

static void put_file(const char *path, const void *data, size_t size)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(data, 1, size, fp) != size || fclose(fp) != 0) {
        perror(path);
        abort();
    }
}

/* path of name in the private directory, made on first use. */
static const char *scratch(const char *name)
{
    static char path[1024];
    if (!dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/gmoe-fuzz-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(dir)) {
            perror(dir);
            abort();
        }
        atexit(dir_remove);
        snprintf(path, sizeof path, "%s/truth.json", dir);
        put_file(path, truth_json, sizeof truth_json - 1);
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

/* A failed read must leave one non-empty line of message (shown when GMOE_FUZZ_VERBOSE is
 * set, to see what a seed exercises). */
static void check_error(int rc, const gmoe_error *err)
{
    if (getenv("GMOE_FUZZ_VERBOSE")) fprintf(stderr, "  -> %s\n", rc ? err->msg : "ok");
    if (rc == GMOE_SUCCESS) return;
    if (err->code != rc || !err->msg[0] || strchr(err->msg, '\n')) {
        fprintf(stderr, "bad error (code %d, rc %d): \"%s\"\n", err->code, rc, err->msg);
        abort();
    }
}

static void check_data(const gmoe_data *data)
{
    if (!data || data->n == 0 || !data->x) abort();
    for (size_t i = 0; i < data->n * data->d; i++)
        if (!isfinite(data->x[i])) abort();
    if (data->y)
        for (size_t i = 0; i < data->n; i++)
            if (!isfinite(data->y[i])) abort();
}

int gmoe_fuzz_csv(const uint8_t *bytes, size_t size)
{
    const char *path = scratch("in.csv");
    put_file(path, bytes, size);
    static const char *const xs[] = {"x2", "x1"}, *const fx[] = {"x1"};
    /* the third codes x1 as a factor: any text is a level */
    const gmoe_csv_spec specs[] = {{NULL, NULL, 0, 0},
                                   {"y", xs, 2, 1},
                                   {.y = "y",
                                    .x = xs,
                                    .nx = 2,
                                    .y_optional = 1,
                                    .factors = fx,
                                    .nfactors = 1,
                                    .factor_option = "--factor"}};
    for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
        gmoe_data *data = (gmoe_data *)&data; /* must be reset */
        gmoe_error err = {0};
        int rc = gmoe_csv_read(path, &specs[s], &data, &err);
        check_error(rc, &err);
        if (rc) {
            if (data) abort();
            continue;
        }
        check_data(data);
        gmoe_data_free(data);
    }
    return 0;
}

/* Parse text, and on success check that the model is valid and that write -> read -> write
 * gives the same text. */
static void model_roundtrip(const char *text)
{
    gmoe_model *m = (gmoe_model *)&m;
    gmoe_fit_record fit;
    int has_fit = -1;
    gmoe_error err = {0};
    int rc = gmoe_model_parse(text, "fuzz.json", &m, &fit, &has_fit, &err);
    check_error(rc, &err);
    if (rc) {
        if (m || has_fit != 0) abort();
        return;
    }
    if (!m || gmoe_model_validate(m, &err) != GMOE_SUCCESS) abort();
    char *out1 = NULL, *out2 = NULL;
    gmoe_model *m2 = NULL;
    gmoe_fit_record fit2;
    int has_fit2 = 0;
    rc = gmoe_model_dumps(m, has_fit ? &fit : NULL, &out1, &err);
    check_error(rc, &err);
    if (rc == GMOE_SUCCESS) {
        rc = gmoe_model_parse(out1, "dump.json", &m2, &fit2, &has_fit2, &err);
        if (rc) {
            fprintf(stderr, "written model does not read back: %s\n%s", err.msg, out1);
            abort();
        }
        rc = gmoe_model_dumps(m2, has_fit2 ? &fit2 : NULL, &out2, &err);
        if (rc || strcmp(out1, out2) != 0) {
            fprintf(stderr, "write -> read -> write differs:\n%s%s", out1, out2 ? out2 : "");
            abort();
        }
    }
    free(out1);
    free(out2);
    gmoe_model_free(m2);
    gmoe_model_free(m);
}

int gmoe_fuzz_model(const uint8_t *bytes, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) abort();
    memcpy(text, bytes, size);
    text[size] = '\0';
    model_roundtrip(text);
    free(text);
    return 0;
}

int gmoe_fuzz_sweep(const uint8_t *bytes, size_t size)
{
    const char *path = scratch("fuzz.conf");
    put_file(path, bytes, size);
    gmoe_sweep *sw = (gmoe_sweep *)&sw;
    gmoe_error err = {0};
    int rc = gmoe_sweep_load(path, &sw, &err);
    check_error(rc, &err);
    if (rc) {
        if (sw) abort();
        return 0;
    }
    size_t count = 0;
    const size_t *ns = gmoe_sweep_sizes(sw, &count);
    if (!gmoe_sweep_output(sw) || !gmoe_sweep_truth(sw) || count == 0 || !ns ||
        gmoe_sweep_ntasks(sw) != count * gmoe_sweep_reps(sw))
        abort();
    for (size_t i = 0; i < count; i++)
        if (ns[i] == 0) abort();
    gmoe_sweep_free(sw);
    return 0;
}
