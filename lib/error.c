#include <config.h>
#include <stdarg.h>
#include <stdio.h>
#include "gmoe.h"

const char *gmoe_strerror(int code)
{
    switch (code) {
    case GMOE_SUCCESS:
        return "success";
    case GMOE_EINVAL:
        return "invalid argument";
    case GMOE_ENOMEM:
        return "out of memory";
    case GMOE_EIO:
        return "input/output error";
    case GMOE_EPARSE:
        return "malformed input";
    case GMOE_ENUMERIC:
        return "numerical failure";
    case GMOE_EDIM:
        return "dimension mismatch";
    case GMOE_CONTINUE:
        return "not converged yet";
    default:
        return "unknown error";
    }
}

int gmoe_error_set(gmoe_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        err->obs = 0;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

int gmoe_error_set_obs(gmoe_error *err, int code, size_t obs, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        err->obs = obs + 1;
        int len = snprintf(err->msg, sizeof err->msg, "observation %zu: ", obs + 1);
        if (len > 0 && (size_t)len < sizeof err->msg)
            vsnprintf(err->msg + len, sizeof err->msg - (size_t)len, fmt, ap);
        va_end(ap);
    }
    return code;
}

void gmoe_error_clear(gmoe_error *err)
{
    if (err) {
        err->code = 0;
        err->obs = 0;
        err->msg[0] = '\0';
    }
}

const char *gmoe_version(void)
{
    return PACKAGE_VERSION;
}
