/* The data start: k-means++ seeding then Lloyd iterations on standardised (x, y). On a large
 * data set the clustering runs on a random sample of KMEANS_SAMPLE points and then every
 * observation joins its nearest centre: the start is only a guess that EM refines, the
 * centres of a few thousand points are as good a guess as those of all of them, and Lloyd's
 * dozens of passes over all n points cost as much as the whole EM fit. Up to KMEANS_SAMPLE
 * observations the sample is the data itself, in order, and the start is what it always was. */
#include <config.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "internal.h"
#include "gmoe_fit.h"

#define KMEANS_SAMPLE 8192 /* points clustered, per expert beyond two: see kmeans_sample */
#define KMEANS_ITER 50     /* Lloyd iterations at most */

/* Points clustered for k experts: enough that the smallest of k clusters still has hundreds. */
static size_t kmeans_sample(size_t k)
{
    return KMEANS_SAMPLE * (k > 2 ? k / 2 : 1);
}

/* Index of the centre nearest to the point z[0..p). */
static size_t nearest(const double *z, const double *cen, size_t k, size_t p)
{
    size_t best = 0;
    double bd = INFINITY;
    for (size_t c = 0; c < k; c++) {
        double s = 0;
        for (size_t t = 0; t < p; t++) {
            double v = z[t] - cen[c * p + t];
            s += v * v;
        }
        if (s < bd) bd = s, best = c;
    }
    return best;
}

/* k-means++ seeding of cen from the m points z (row-major, p columns). */
static void seed_centres(const double *z, size_t m, size_t k, size_t p, gsl_rng *rng, double *cen,
                         double *dist)
{
    size_t first = gsl_rng_uniform_int(rng, m);
    memcpy(cen, z + first * p, p * sizeof(double));
    for (size_t i = 0; i < m; i++)
        dist[i] = INFINITY;
    for (size_t c = 1; c <= k; c++) {
        double tot = 0;
        for (size_t i = 0; i < m; i++) {
            double s = 0;
            for (size_t t = 0; t < p; t++) {
                double v = z[i * p + t] - cen[(c - 1) * p + t];
                s += v * v;
            }
            if (s < dist[i]) dist[i] = s;
            tot += dist[i];
        }
        if (c == k) break;
        /* Next centre with probability proportional to the squared distance. */
        double u = gsl_rng_uniform(rng) * tot, acc = 0;
        size_t pick = gsl_rng_uniform_int(rng, m);
        if (tot > 0)
            for (size_t i = 0; i < m; i++) {
                acc += dist[i];
                if (acc >= u && dist[i] > 0) {
                    pick = i;
                    break;
                }
            }
        memcpy(cen + c * p, z + pick * p, p * sizeof(double));
    }
}

/* Lloyd iterations over the m points z from the centres cen; lab gets the final labels. */
static void lloyd(const double *z, size_t m, size_t k, size_t p, gsl_rng *rng, double *cen,
                  size_t *lab, size_t *cnt)
{
    for (int it = 0; it < KMEANS_ITER; it++) {
        int changed = 0;
        for (size_t i = 0; i < m; i++) {
            size_t best = nearest(z + i * p, cen, k, p);
            if (it == 0 || lab[i] != best) changed = 1;
            lab[i] = best;
        }
        if (!changed) break;
        memset(cen, 0, k * p * sizeof(double));
        memset(cnt, 0, k * sizeof(size_t));
        for (size_t i = 0; i < m; i++) {
            cnt[lab[i]]++;
            for (size_t t = 0; t < p; t++)
                cen[lab[i] * p + t] += z[i * p + t];
        }
        for (size_t c = 0; c < k; c++) {
            if (cnt[c] == 0) { /* an empty cluster restarts at a random point */
                memcpy(cen + c * p, z + gsl_rng_uniform_int(rng, m) * p, p * sizeof(double));
                continue;
            }
            for (size_t t = 0; t < p; t++)
                cen[c * p + t] /= (double)cnt[c];
        }
    }
}

int gmoe_start_kmeans(const gmoe_data *data, size_t k, gsl_rng *rng, double *resp)
{
    size_t n = data->n, d = data->d, p = d + 1;
    size_t m = n <= kmeans_sample(k) ? n : kmeans_sample(k);
    double *z = malloc(m * p * sizeof(double));
    double *cen = malloc(k * p * sizeof(double));
    double *dist = malloc(m * sizeof(double));
    double *mean = malloc(3 * p * sizeof(double)), *sd = mean + p, *zi = mean + 2 * p;
    size_t *lab = malloc(m * sizeof(size_t));
    size_t *cnt = malloc(k * sizeof(size_t));
    size_t *pick = m < n ? malloc(m * sizeof(size_t)) : NULL;
    int rc = GMOE_ENOMEM;
    if (!z || !cen || !dist || !mean || !lab || !cnt || (m < n && !pick)) goto done;
    for (size_t c = 0; c < p; c++) {
        const double *col = c < d ? data->x + c * n : data->y;
        double s = 0, ss = 0;
        for (size_t i = 0; i < n; i++)
            s += col[i];
        mean[c] = s / (double)n;
        for (size_t i = 0; i < n; i++)
            ss += (col[i] - mean[c]) * (col[i] - mean[c]);
        sd[c] = ss > 0 ? sqrt(ss / (double)n) : 1.0;
    }
    /* The sample: drawn with replacement (a repeat only weighs a point twice). */
    if (pick)
        for (size_t i = 0; i < m; i++)
            pick[i] = gsl_rng_uniform_int(rng, n);
    for (size_t c = 0; c < p; c++) {
        const double *col = c < d ? data->x + c * n : data->y;
        for (size_t i = 0; i < m; i++)
            z[i * p + c] = (col[pick ? pick[i] : i] - mean[c]) / sd[c];
    }
    seed_centres(z, m, k, p, rng, cen, dist);
    lloyd(z, m, k, p, rng, cen, lab, cnt);

    memset(resp, 0, n * k * sizeof(double));
    if (!pick) {
        for (size_t i = 0; i < n; i++)
            resp[lab[i] * n + i] = 1.0;
    } else {
        for (size_t i = 0; i < n; i++) {
            for (size_t c = 0; c < p; c++)
                zi[c] = ((c < d ? data->x[c * n + i] : data->y[i]) - mean[c]) / sd[c];
            resp[nearest(zi, cen, k, p) * n + i] = 1.0;
        }
    }
    rc = GMOE_SUCCESS;
done:
    free(z), free(cen), free(dist), free(mean), free(lab), free(cnt), free(pick);
    return rc;
}
