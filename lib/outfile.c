/* Atomic output files: write beside the target, fsync, rename. A crash or a full disk
 * leaves the previous file intact, never a half-written one. */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gmoe_file.h"

static int open_fail(gmoe_outfile *of, const char *path, int e, gmoe_error *err)
{
    free(of->path);
    free(of->tmp);
    memset(of, 0, sizeof *of);
    return gmoe_error_set(err, GMOE_EIO, "%s: cannot write: %s", path, strerror(e));
}

int gmoe_outfile_open(gmoe_outfile *of, const char *path, gmoe_error *err)
{
    memset(of, 0, sizeof *of);
    if (strcmp(path, "-") == 0) {
        of->fp = stdout;
        return GMOE_SUCCESS;
    }
    size_t len = strlen(path), size = len + 48;
    of->path = malloc(len + 1);
    of->tmp = malloc(size);
    if (!of->path || !of->tmp) {
        gmoe_outfile_abort(of);
        return gmoe_error_set(err, GMOE_ENOMEM, "%s: out of memory", path);
    }
    memcpy(of->path, path, len + 1);
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) return open_fail(of, path, EISDIR, err);
    if (exists && !S_ISREG(st.st_mode)) {
        /* A device or a pipe (/dev/null, /dev/stdout, a FIFO): written in place. Renaming a
         * temporary file over it would replace the device node itself. */
        free(of->tmp);
        of->tmp = NULL;
        if (!(of->fp = fopen(path, "w"))) return open_fail(of, path, errno, err);
        return GMOE_SUCCESS;
    }
    /* O_EXCL: never write through a file (or a symbolic link) that is already there. The
     * mode leaves the permissions to the umask, as fopen would. */
    int fd = -1;
    for (unsigned tries = 0; fd < 0 && tries < 100; tries++) {
        snprintf(of->tmp, size, "%s.tmp.%ld.%u", path, (long)getpid(), tries);
        fd = open(of->tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd >= 0 && !(of->fp = fdopen(fd, "w"))) {
        int e = errno;
        close(fd);
        remove(of->tmp);
        errno = e;
    }
    if (!of->fp) return open_fail(of, path, errno, err);
    return GMOE_SUCCESS;
}

int gmoe_outfile_commit(gmoe_outfile *of, gmoe_error *err)
{
    if (!of->fp) return GMOE_SUCCESS;
    /* An earlier failed write shows only in ferror, its errno long gone (e = 0: reason
     * unknown); a flush of what is still buffered usually fails again and says why. */
    int bad = ferror(of->fp) != 0, e = 0;
    if (!of->tmp) {
        /* Standard output, or a device written in place. */
        if (fflush(of->fp) != 0) bad = 1, e = errno;
        if (of->path && fclose(of->fp) != 0 && !bad) bad = 1, e = errno;
        of->fp = NULL;
        if (bad)
            gmoe_error_set(err, GMOE_EIO, "%s: write %s%s%s",
                           of->path ? of->path : "standard output", of->path ? "failed" : "error",
                           e ? ": " : "", e ? strerror(e) : "");
        free(of->path);
        memset(of, 0, sizeof *of);
        return bad ? GMOE_EIO : GMOE_SUCCESS;
    }
    if (fflush(of->fp) != 0 || (!bad && fsync(fileno(of->fp)) != 0)) bad = 1, e = errno;
    /* stdio may have dropped what it failed to write, so that the flush succeeds and the
     * reason is lost; one more byte in the doomed temporary file finds it again (a full
     * disk, a file-size limit). */
    if (bad && e == 0 && write(fileno(of->fp), "\n", 1) < 0) e = errno;
    if (fclose(of->fp) != 0 && !bad) bad = 1, e = errno;
    of->fp = NULL;
    if (!bad && rename(of->tmp, of->path) != 0) bad = 1, e = errno;
    if (bad) {
        gmoe_error_set(err, GMOE_EIO, "%s: write failed%s%s", of->path, e ? ": " : "",
                       e ? strerror(e) : "");
        gmoe_outfile_abort(of);
        return GMOE_EIO;
    }
    free(of->path);
    free(of->tmp);
    memset(of, 0, sizeof *of);
    return GMOE_SUCCESS;
}

void gmoe_outfile_abort(gmoe_outfile *of)
{
    if (of->fp && of->fp != stdout) fclose(of->fp);
    if (of->tmp) remove(of->tmp);
    free(of->path);
    free(of->tmp);
    memset(of, 0, sizeof *of);
}
