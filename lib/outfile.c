/* Atomic output files: write beside the target, fsync, rename. A crash or a full disk
 * leaves the previous file intact, never a half-written one. */
#include <config.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

int gmoe__outfile_open(gmoe__outfile *of, const char *path, gmoe_error *err)
{
    memset(of, 0, sizeof *of);
    if (strcmp(path, "-") == 0) {
        of->fp = stdout;
        return GMOE_SUCCESS;
    }
    size_t len = strlen(path);
    of->path = malloc(len + 1);
    of->tmp = malloc(len + 32);
    if (!of->path || !of->tmp) {
        gmoe__outfile_abort(of);
        return gmoe_error_set(err, GMOE_ENOMEM, "%s: out of memory", path);
    }
    memcpy(of->path, path, len + 1);
    snprintf(of->tmp, len + 32, "%s.tmp.%ld", path, (long)getpid());
    of->fp = fopen(of->tmp, "w");
    if (!of->fp) {
        int e = errno;
        gmoe__outfile_abort(of);
        return gmoe_error_set(err, GMOE_EIO, "%s: cannot write: %s", path, strerror(e));
    }
    return GMOE_SUCCESS;
}

int gmoe__outfile_commit(gmoe__outfile *of, gmoe_error *err)
{
    if (!of->tmp) {
        int bad = fflush(of->fp) != 0 || ferror(of->fp);
        of->fp = NULL;
        if (bad) return gmoe_error_set(err, GMOE_EIO, "standard output: write error");
        return GMOE_SUCCESS;
    }
    int bad = fflush(of->fp) != 0 || ferror(of->fp) || fsync(fileno(of->fp)) != 0;
    int e = errno;
    if (fclose(of->fp) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    of->fp = NULL;
    if (!bad && rename(of->tmp, of->path) != 0) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        gmoe_error_set(err, GMOE_EIO, "%s: write failed: %s", of->path, strerror(e));
        gmoe__outfile_abort(of);
        return GMOE_EIO;
    }
    free(of->path);
    free(of->tmp);
    of->path = of->tmp = NULL;
    return GMOE_SUCCESS;
}

void gmoe__outfile_abort(gmoe__outfile *of)
{
    if (of->fp && of->tmp) fclose(of->fp);
    if (of->tmp) remove(of->tmp);
    free(of->path);
    free(of->tmp);
    memset(of, 0, sizeof *of);
}
