/* gmoe_error: error codes and messages.
 *
 * Library functions never print and never exit. A function that can fail returns
 * GMOE_SUCCESS (0) or one of the codes below, and, when the caller passes a non-NULL
 * gmoe_error, fills it with the code and a one-line message (no trailing newline, no
 * "gmoe: " prefix) that names the file, line, field or parameter at fault. The CLI prints
 * that message; other callers may show it however they like. */
#ifndef GMOE_ERROR_H
#define GMOE_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    GMOE_SUCCESS = 0,
    GMOE_EINVAL = 1,   /* invalid argument or parameter value */
    GMOE_ENOMEM = 2,   /* allocation failed */
    GMOE_EIO = 3,      /* file could not be opened, read or written */
    GMOE_EPARSE = 4,   /* malformed input file (CSV, JSON, config) */
    GMOE_ENUMERIC = 5, /* numerical failure (singular system, non-finite value) */
    GMOE_EDIM = 6,     /* dimensions do not agree */
    GMOE_CONTINUE = -1 /* iterative solver: not converged yet (not an error) */
};

#define GMOE_ERRMSG_MAX 512

typedef struct gmoe_error {
    int code;
    /* An error that one observation of a data set causes (a gate score that overflows at its
     * covariates) names it: obs is its 1-based index and msg starts "observation OBS: ", so
     * that a caller that read the data from a file can name the line instead. 0 otherwise. */
    size_t obs;
    char msg[GMOE_ERRMSG_MAX];
} gmoe_error;

/* Short description of an error code ("invalid argument", ...). Static storage. */
const char *gmoe_strerror(int code);

/* Set *err (if non-NULL) to code and a printf-style message; returns code, so that
 * library code can write `return gmoe_error_set(err, GMOE_EINVAL, "...")`. */
int gmoe_error_set(gmoe_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* gmoe_error_set for an error at observation obs (0-based): the message gets the prefix
 * "observation OBS: " (1-based) and err->obs is set to obs + 1. */
int gmoe_error_set_obs(gmoe_error *err, int code, size_t obs, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Clear *err (code 0, empty message). No-op on NULL. */
void gmoe_error_clear(gmoe_error *err);

#ifdef __cplusplus
}
#endif
#endif
