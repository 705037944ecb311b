/* CSV data files: writing. Numbers in the shortest form that reads back as the same double
 * (dtoa.c), through an output file that replaces its target only once complete. */
#include <config.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dtoa.h"
#include "internal.h"

#define CSV_WBUF (1u << 16) /* bytes formatted before each fwrite */

size_t gmoe_csv_format_double(double v, char *buf)
{
    return gmoe__dtoa_short(v, buf);
}

static int put_bytes(gmoe_outfile *of, const char *name, const char *b, size_t n, gmoe_error *err)
{
    if (fwrite(b, 1, n, of->fp) == n) return GMOE_SUCCESS;
    return gmoe_error_set(err, GMOE_EIO, "%s: write failed: %s", name, strerror(errno));
}

int gmoe_csv_write(const char *path, const gmoe_data *data, gmoe_error *err)
{
    if (!path || !data) return gmoe_error_set(err, GMOE_EINVAL, "gmoe_csv_write: NULL argument");
    const char *name = strcmp(path, "-") == 0 ? "standard output" : path;
    size_t n = data->n, d = data->d;
    if (d == 0 && !data->y) return gmoe_error_set(err, GMOE_EINVAL, "%s: no columns", name);
    /* Checked first: a value that the reader would reject must not reach the file. */
    for (size_t t = 0; t <= d; t++) {
        const double *v = t < d ? data->x + t * n : data->y;
        if (!v) continue;
        for (size_t i = 0; i < n; i++) {
            if (!isfinite(v[i])) {
                char col[32];
                if (t < d)
                    snprintf(col, sizeof col, "x%zu", t + 1);
                else
                    snprintf(col, sizeof col, "y");
                return gmoe_error_set(err, GMOE_EINVAL, "%s: row %zu: %s is not finite", name,
                                      i + 1, col);
            }
        }
    }

    gmoe_outfile of;
    int rc = gmoe_outfile_open(&of, path, err);
    if (rc) return rc;
    char *buf = malloc(CSV_WBUF);
    if (!buf) {
        gmoe_outfile_abort(&of);
        return gmoe_error_set(err, GMOE_ENOMEM, "%s: out of memory", name);
    }
    size_t len = 0;
    /* Each number takes < GMOE__DTOA_BUFSIZE bytes, each x name < 24, plus the separator. */
    const size_t room = CSV_WBUF - 2 * GMOE__DTOA_BUFSIZE;
    for (size_t t = 0; t < d; t++) {
        len += (size_t)snprintf(buf + len, CSV_WBUF - len, "%sx%zu", t ? "," : "", t + 1);
        if (len > room) {
            if ((rc = put_bytes(&of, name, buf, len, err))) goto done;
            len = 0;
        }
    }
    if (data->y) len += (size_t)snprintf(buf + len, CSV_WBUF - len, "%sy", d ? "," : "");
    buf[len++] = '\n';
    for (size_t i = 0; i < n; i++) {
        for (size_t t = 0; t < d; t++) {
            if (t) buf[len++] = ',';
            len += gmoe__dtoa_short(data->x[t * n + i], buf + len);
            if (len > room) {
                if ((rc = put_bytes(&of, name, buf, len, err))) goto done;
                len = 0;
            }
        }
        if (data->y) {
            if (d) buf[len++] = ',';
            len += gmoe__dtoa_short(data->y[i], buf + len);
        }
        buf[len++] = '\n';
        if (len > room) {
            if ((rc = put_bytes(&of, name, buf, len, err))) goto done;
            len = 0;
        }
    }
    if (len) rc = put_bytes(&of, name, buf, len, err);
done:
    free(buf);
    if (rc) {
        gmoe_outfile_abort(&of);
        return rc;
    }
    return gmoe_outfile_commit(&of, err);
}
