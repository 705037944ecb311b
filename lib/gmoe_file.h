/* gmoe_file: output files that are never left half-written.
 *
 * gmoe_outfile_open creates a new temporary file beside the target (exclusively: it never
 * writes through a file or link that is already there); the caller writes to of->fp;
 * gmoe_outfile_commit flushes, fsyncs, closes and renames it over the target, so that a crash,
 * a full disk or a kill leaves either the previous file or the complete new one. Path "-" is
 * standard output, written directly (commit only flushes it); so is a target that exists and
 * is not a regular file (/dev/null, a FIFO), which a rename would replace. Every gmoe writer
 * of model, data and result files goes through these functions. */
#ifndef GMOE_FILE_H
#define GMOE_FILE_H

#include <stdio.h>
#include "gmoe_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gmoe_outfile {
    FILE *fp;   /* where to write */
    char *path; /* the target (owned copy), or NULL for standard output */
    char *tmp;  /* the temporary file (owned), or NULL when written directly */
} gmoe_outfile;

/* Open. Errors: "PATH: cannot write: REASON" (GMOE_EIO; "Is a directory" for a directory),
 * out of memory (GMOE_ENOMEM). */
int gmoe_outfile_open(gmoe_outfile *of, const char *path, gmoe_error *err);

/* Finish: flush, fsync, close, rename over the target ("-": flush). On a write error
 * ("PATH: write failed: REASON", GMOE_EIO) the temporary file is removed and the target is
 * untouched. The struct is closed either way. */
int gmoe_outfile_commit(gmoe_outfile *of, gmoe_error *err);

/* Give up: close and remove the temporary file. A no-op on a closed or zeroed struct. */
void gmoe_outfile_abort(gmoe_outfile *of);

#ifdef __cplusplus
}
#endif
#endif
