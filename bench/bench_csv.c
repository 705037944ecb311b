/* CSV reading benchmark (make bench): the file `gmoe simulate` writes for n = 1e6 draws of the
 * published softmax truth (about 40 MB: 17 significant digits per number) is read with
 * gmoe_csv_read, best of several runs, and the rate reported in MB/s. The goal is 300
 * MB/s or better. Usage: bench_csv [N [REPEATS]]. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "gmoe.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtod(argv[1], NULL) : 1000000;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    if (n == 0 || reps < 1) {
        fprintf(stderr, "usage: bench_csv [N [REPEATS]]\n");
        return 2;
    }
    gmoe_error err;
    gmoe_model *m = gmoe_model_alloc(2, 1, GMOE_GATE_SOFTMAX);
    double b1a = 25, b1b = 0, aa = -20, ab = 20;
    gmoe_model_set_expert(m, 0, -8, &b1a, &aa, 15, 0.09);
    gmoe_model_set_expert(m, 1, 0, &b1b, &ab, -5, 0.16);
    gmoe_design des = gmoe_design_default();
    gmoe_data *data = NULL;
    char path[] = "/tmp/gmoe-bench-csv-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        return 1;
    }
    close(fd);
    if (gmoe_sim_data(m, &des, n, 1, &data, &err) || gmoe_csv_write(path, data, &err)) {
        fprintf(stderr, "bench_csv: %s\n", err.msg);
        unlink(path);
        return 1;
    }
    gmoe_data_free(data);
    gmoe_model_free(m);
    struct stat st;
    stat(path, &st);
    double mb = (double)st.st_size / 1e6, best = 1e300;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        gmoe_data *in = NULL;
        if (gmoe_csv_read(path, NULL, &in, &err)) {
            fprintf(stderr, "bench_csv: %s\n", err.msg);
            unlink(path);
            return 1;
        }
        double t = now() - t0;
        if (t < best) best = t;
        gmoe_data_free(in);
    }
    unlink(path);
    printf("csv read: n = %zu rows, %.1f MB, best of %d: %.4f s, %.0f MB/s\n", n, mb, reps, best,
           mb / best);
    return 0;
}
