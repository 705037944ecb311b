/* Shared helpers of the command-line tool (see common.h). */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common.h"

static void verror(const char *fmt, va_list ap)
{
    fflush(stdout);
    fputs("gmoe: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(fmt, ap);
    va_end(ap);
}

int cli_lib_error(const gmoe_error *err)
{
    if (err->msg[0])
        cli_error("%s", err->msg);
    else
        cli_error("%s", gmoe_strerror(err->code));
    return CLI_EXIT_ERROR;
}

int cli_data_error(const char *path, const gmoe_error *err)
{
    if (!err->obs) return cli_lib_error(err);
    /* The message starts "observation N: " (gmoe_error_set_obs); the line replaces it. */
    const char *rest = strstr(err->msg, ": ");
    size_t line;
    gmoe_error lerr;
    if (rest && gmoe_csv_row_line(path, err->obs - 1, &line, &lerr) == GMOE_SUCCESS)
        cli_error("%s:%zu: %s", path, line, rest + 2);
    else
        cli_error("%s: %s", strcmp(path, "-") == 0 ? "<stdin>" : path, err->msg);
    return CLI_EXIT_ERROR;
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(fmt, ap);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

/* ---------------------------------------------------------------- numbers */

/* strtod over the whole string: no empty string, no leading or trailing blanks (strtod would
 * skip leading ones silently), no overflow, a finite value. */
static int strict_double(const char *arg, double *out)
{
    if (!*arg || isspace((unsigned char)arg[0])) return -1;
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* strtoull over the whole string, decimal digits only (strtoull accepts a sign and wraps
 * "-5" to a huge value). */
static int strict_digits(const char *arg, unsigned long long *out)
{
    if (!isdigit((unsigned char)arg[0])) return -1;
    for (const char *p = arg; *p; p++)
        if (!isdigit((unsigned char)*p)) return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (*end != '\0' || errno == ERANGE) return -1;
    *out = v;
    return 0;
}

int cli_parse_double(const char *opt, const char *arg, double *out)
{
    if (strict_double(arg, out))
        return cli_usage_error("%s must be a finite number (got \"%s\")", opt, arg);
    return 0;
}

int cli_parse_positive_double(const char *opt, const char *arg, double *out)
{
    if (strict_double(arg, out) || !(*out > 0))
        return cli_usage_error("%s must be a positive number (got \"%s\")", opt, arg);
    return 0;
}

/* Counts stay below 2^53, where every integer is exact as a double. */
#define COUNT_MAX 9007199254740992.0

int cli_parse_count(const char *opt, const char *arg, size_t *out)
{
    unsigned long long u;
    double v;
    if (strict_digits(arg, &u) == 0) {
        v = (double)u;
        if (u >= 1 && v <= COUNT_MAX && u <= SIZE_MAX) {
            *out = (size_t)u;
            return 0;
        }
    } else if (arg[0] != '-' && arg[0] != '+' && strict_double(arg, &v) == 0 && v >= 1 &&
               v <= COUNT_MAX && v == floor(v) && v <= (double)SIZE_MAX) {
        *out = (size_t)v;
        return 0;
    }
    return cli_usage_error("%s must be a positive integer (got \"%s\")", opt, arg);
}

int cli_parse_seed(const char *opt, const char *arg, unsigned long *out)
{
    unsigned long long u;
    if (strict_digits(arg, &u) || u < 1 || u > 4294967295ULL)
        return cli_usage_error("%s must be an integer from 1 to 4294967295 (got \"%s\")", opt, arg);
    *out = (unsigned long)u;
    return 0;
}

void cli_json_double(FILE *fp, double v)
{
    if (isfinite(v))
        fprintf(fp, "%.17g", v);
    else
        fputs("null", fp);
}

void cli_csv_double(FILE *fp, double v)
{
    char num[GMOE_CSV_NUMBUF];
    gmoe_csv_format_double(v, num);
    fputs(num, fp);
}

int cli_isatty(FILE *fp)
{
    return isatty(fileno(fp));
}

/* ---------------------------------------------------------------- atomic output files */

int cli_outfile_open(cli_outfile *of, const char *path)
{
    gmoe_error err;
    return gmoe_outfile_open(of, path, &err) ? cli_lib_error(&err) : 0;
}

int cli_outfile_commit(cli_outfile *of)
{
    gmoe_error err;
    return gmoe_outfile_commit(of, &err) ? cli_lib_error(&err) : 0;
}

void cli_outfile_abort(cli_outfile *of)
{
    gmoe_outfile_abort(of);
}

/* ---------------------------------------------------------------- shared options */

void cli_common_init(cli_common *co, const char *cmd)
{
    memset(co, 0, sizeof *co);
    co->cmd = cmd;
    co->output = "-";
    co->seed = CLI_SEED_DEFAULT;
    co->progress = -1;
}

void cli_free_list(char **list, size_t count)
{
    if (!list) return;
    for (size_t i = 0; i < count; i++)
        free(list[i]);
    free(list);
}

void cli_common_free(cli_common *co)
{
    cli_free_list(co->x, co->nx);
    co->x = NULL;
    co->nx = 0;
    cli_free_list(co->factor, co->nfactor);
    co->factor = NULL;
    co->nfactor = 0;
}

/* Empty names ("a,,b", a leading or trailing comma) and repeated names are usage errors: they
 * are typos, and the CSV reader could not tell them apart. */
int cli_parse_list(const char *opt, const char *arg, char ***out, size_t *count)
{
    size_t max = 1;
    for (const char *p = arg; *p; p++)
        max += *p == ',';
    char **list = calloc(max, sizeof *list);
    if (!list) return cli_usage_error("out of memory");
    size_t nl = 0;
    const char *p = arg;
    int rc = 0;
    for (;;) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (len == 0) {
            rc = cli_usage_error("%s: empty column name in \"%s\"", opt, arg);
            break;
        }
        list[nl] = malloc(len + 1);
        if (!list[nl]) {
            rc = cli_usage_error("out of memory");
            break;
        }
        memcpy(list[nl], p, len);
        list[nl][len] = '\0';
        for (size_t i = 0; i < nl && !rc; i++)
            if (strcmp(list[i], list[nl]) == 0)
                rc = cli_usage_error("%s: column \"%s\" given twice in \"%s\"", opt, list[nl], arg);
        nl++;
        if (rc || !q) break;
        p = q + 1;
    }
    if (rc) {
        cli_free_list(list, nl);
        return rc;
    }
    *out = list;
    *count = nl;
    return 0;
}

static int parse_column_list(cli_common *co, const char *opt, const char *arg)
{
    char **list;
    size_t nl;
    int rc = cli_parse_list(opt, arg, &list, &nl);
    if (rc) return rc;
    cli_free_list(co->x, co->nx);
    co->x = list;
    co->nx = nl;
    return 0;
}

/* --factor may be given again: its lists add up (a name twice is the reader's error). */
static int parse_factor_list(cli_common *co, const char *arg)
{
    char **list;
    size_t nl;
    int rc = cli_parse_list("--factor", arg, &list, &nl);
    if (rc) return rc;
    char **all = realloc(co->factor, (co->nfactor + nl) * sizeof *all);
    if (!all) {
        cli_free_list(list, nl);
        return cli_usage_error("--factor: out of memory");
    }
    memcpy(all + co->nfactor, list, nl * sizeof *all);
    free(list);
    co->factor = all;
    co->nfactor += nl;
    return 0;
}

/* The option as the user wrote it, for messages. A long option is named from argv (without
 * any "=value"); a short one by its character, since it may sit inside a cluster ("-qn"). */
static void describe_option(int optchar, char *const *argv, char *buf, size_t size)
{
    const char *word = optind > 0 ? argv[optind - 1] : "";
    if (strncmp(word, "--", 2) != 0 && optchar > 0 && optchar < 256 && isprint(optchar)) {
        snprintf(buf, size, "-%c", optchar);
        return;
    }
    size_t len = strcspn(word, "=");
    snprintf(buf, size, "%.*s", (int)(len < 200 ? len : 200), word);
}

int cli_common_opt(cli_common *co, int c, const char *arg, char *const *argv)
{
    char name[256];
    switch (c) {
    case 'm':
        co->model = arg;
        return 0;
    case 'o':
        if (!*arg) return cli_usage_error("-o needs a file name (or - for standard output)");
        co->output = arg;
        return 0;
    case CLI_OPT_SEED:
        if (cli_parse_seed("--seed", arg, &co->seed)) return CLI_EXIT_USAGE;
        co->seed_set = 1;
        return 0;
    case CLI_OPT_JSON:
        co->json = 1;
        return 0;
    case CLI_OPT_PROGRESS:
        co->progress = 1;
        return 0;
    case CLI_OPT_QUIET:
        co->progress = 0;
        return 0;
    case CLI_OPT_Y:
        if (!*arg) return cli_usage_error("--y needs a column name");
        co->y = arg;
        return 0;
    case CLI_OPT_X:
        return parse_column_list(co, "--x", arg);
    case CLI_OPT_FACTOR:
        return parse_factor_list(co, arg);
    case ':':
        describe_option(optopt, argv, name, sizeof name);
        return cli_usage_error("%s: option %s needs a value (see 'gmoe help %s')", co->cmd, name,
                               co->cmd);
    case '?':
        describe_option(optopt, argv, name, sizeof name);
        /* getopt_long also answers '?' for a value given to an option that takes none. */
        if (optopt != 0 && strncmp(name, "--", 2) == 0 && strchr(argv[optind - 1], '='))
            return cli_usage_error("%s: option %s takes no value (see 'gmoe help %s')", co->cmd,
                                   name, co->cmd);
        return cli_usage_error("%s: unknown option %s (see 'gmoe help %s')", co->cmd, name,
                               co->cmd);
    default:
        /* An option in the subcommand's table that it forgot to handle: a bug, but say so
         * rather than ignore the option. */
        return cli_usage_error("%s: option not supported here (see 'gmoe help %s')", co->cmd,
                               co->cmd);
    }
}

int cli_check_positional(const cli_common *co, int argc, char *const *argv, int min, int max,
                         const char *what)
{
    int have = argc - optind;
    if (have < min)
        return cli_usage_error("%s: missing %s (see 'gmoe help %s')", co->cmd, what, co->cmd);
    if (have > max)
        return cli_usage_error("%s: unexpected argument \"%s\" (see 'gmoe help %s')", co->cmd,
                               argv[optind + max], co->cmd);
    return 0;
}

int cli_progress_enabled(const cli_common *co)
{
    return co->progress < 0 ? cli_isatty(stderr) : co->progress;
}

int cli_check_xy(const cli_common *co)
{
    const char *y = co->y ? co->y : "y";
    for (size_t i = 0; i < co->nx; i++)
        if (strcmp(co->x[i], y) == 0)
            return cli_usage_error("%s: column \"%s\" is both the response (--y) and a covariate "
                                   "(--x)",
                                   co->cmd, y);
    return 0;
}

void cli_csv_spec(const cli_common *co, gmoe_csv_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->y = co->y;
    spec->x = (const char *const *)co->x;
    spec->nx = co->nx;
    spec->factors = (const char *const *)co->factor;
    spec->nfactors = co->nfactor;
}

void cli_design_init(cli_design *cd)
{
    memset(cd, 0, sizeof *cd);
    cd->kind = GMOE_DESIGN_UNIFORM;
    cd->hi = 1;
    cd->sd = 1;
}

int cli_design_opt(cli_design *cd, int c, const char *arg)
{
    switch (c) {
    case CLI_OPT_DESIGN:
        if (gmoe_design_parse(arg, &cd->kind))
            return cli_usage_error("--design must be uniform, grid, normal or gate (got \"%s\")",
                                   arg);
        return 0;
    case CLI_OPT_LO:
        cd->lo_set = 1;
        return cli_parse_double("--lo", arg, &cd->lo);
    case CLI_OPT_HI:
        cd->hi_set = 1;
        return cli_parse_double("--hi", arg, &cd->hi);
    case CLI_OPT_MEAN:
        cd->mean_set = 1;
        return cli_parse_double("--mean", arg, &cd->mean);
    case CLI_OPT_SD:
        cd->sd_set = 1;
        return cli_parse_positive_double("--sd", arg, &cd->sd);
    }
    return -1;
}

int cli_design_get(const cli_design *cd, const char *cmd, gmoe_design *des)
{
    if (cd->kind == GMOE_DESIGN_GATE) {
        if (cd->lo_set || cd->hi_set || cd->mean_set || cd->sd_set)
            return cli_usage_error("%s: --design gate takes no --lo, --hi, --mean or --sd (x is "
                                   "drawn from the model's Gaussian gate)",
                                   cmd);
    } else if (cd->kind == GMOE_DESIGN_NORMAL) {
        if (cd->lo_set || cd->hi_set)
            return cli_usage_error("%s: %s is not used by --design normal (use --mean and --sd)",
                                   cmd, cd->lo_set ? "--lo" : "--hi");
    } else if (cd->mean_set || cd->sd_set) {
        return cli_usage_error("%s: %s is only used by --design normal (--design %s takes "
                               "--lo and --hi)",
                               cmd, cd->mean_set ? "--mean" : "--sd", gmoe_design_name(cd->kind));
    }
    des->kind = cd->kind;
    des->p1 = cd->kind == GMOE_DESIGN_NORMAL ? cd->mean : cd->lo;
    des->p2 = cd->kind == GMOE_DESIGN_NORMAL ? cd->sd : cd->hi;
    des->model = NULL;
    gmoe_error err;
    if (gmoe_design_validate(des, 1, &err)) return cli_usage_error("%s: %s", cmd, err.msg);
    return 0;
}

int cli_design_model(const gmoe_design *des, const gmoe_model *m, const char *path)
{
    if (des->kind != GMOE_DESIGN_GATE || gmoe_model_gate(m) == GMOE_GATE_GAUSSIAN) return 0;
    cli_error("%s: --design gate draws x from the model's Gaussian gate, but this model has a "
              "%s gate",
              path, gmoe_gate_name(gmoe_model_gate(m)));
    return CLI_EXIT_ERROR;
}
