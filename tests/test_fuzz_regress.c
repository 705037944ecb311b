/* Replays every input under tests/fuzz/regress/<target>/ (inputs the fuzzers once crashed
 * on) and tests/fuzz/corpus/<target>/ (the seed corpus) through the fuzz targets, so that
 * `make check` keeps them fixed without clang or libFuzzer. A target aborts on a broken
 * contract; under --enable-sanitizers a memory error or leak fails the run as well. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz/targets.h"

static int replay_dir(const char *kind, const char *target, int (*fn)(const uint8_t *, size_t))
{
    char dirpath[1024], path[2048];
    snprintf(dirpath, sizeof dirpath, "%s/%s/%s", GMOE_FUZZ_DIR, kind, target);
    DIR *dp = opendir(dirpath);
    if (!dp) {
        fprintf(stderr, "%s: cannot open\n", dirpath);
        return -1;
    }
    int count = 0;
    struct dirent *de;
    while ((de = readdir(dp))) {
        if (de->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dirpath, de->d_name);
        FILE *fp = fopen(path, "rb");
        if (!fp) {
            perror(path);
            count = -1;
            break;
        }
        size_t cap = 1 << 16, len = 0, got;
        unsigned char *buf = malloc(cap);
        while (buf && (got = fread(buf + len, 1, cap - len, fp)) > 0) {
            len += got;
            if (len == cap) {
                unsigned char *b = realloc(buf, 2 * cap);
                if (!b) {
                    free(buf);
                    buf = NULL;
                    break;
                }
                buf = b, cap *= 2;
            }
        }
        int bad = ferror(fp) || !buf;
        fclose(fp);
        if (bad) {
            fprintf(stderr, "%s: cannot read\n", path);
            free(buf);
            count = -1;
            break;
        }
        printf("%s %s\n", target, path);
        fflush(stdout);
        fn(buf, len);
        free(buf);
        count++;
    }
    closedir(dp);
    return count;
}

int main(void)
{
    static const struct {
        const char *name;
        int (*fn)(const uint8_t *, size_t);
    } targets[] = {{"csv", gmoe_fuzz_csv}, {"model", gmoe_fuzz_model}, {"sweep", gmoe_fuzz_sweep}};
    int status = EXIT_SUCCESS;
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
        int nc = replay_dir("corpus", targets[t].name, targets[t].fn);
        int nr = replay_dir("regress", targets[t].name, targets[t].fn);
        if (nc <= 0 || nr < 0) status = EXIT_FAILURE; /* every target has seeds */
        printf("%s: %d seeds, %d regression inputs: ok\n", targets[t].name, nc, nr);
    }
    return status;
}
