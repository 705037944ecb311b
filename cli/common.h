/* Helpers shared by the gmoe command-line tool: error messages, exit statuses, strict number
 * parsing and the options that several subcommands accept.
 *
 * Every subcommand is a function main_<cmd>(argc, argv) in cli/cmd_<cmd>.c (argv[0] is the
 * subcommand's name). It parses its options with getopt_long, using the shared option
 * entries and help lines below so that a shared option is spelt, parsed and described the
 * same way everywhere; then runs; then frees everything behind one cleanup label and returns
 * an exit status. Messages go to stderr as one line starting with "gmoe: ". */
#ifndef GMOE_CLI_COMMON_H
#define GMOE_CLI_COMMON_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include "gmoe.h"

#if defined(__GNUC__)
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLI_PRINTF(f, a)
#endif

/* Exit statuses, documented in gmoe(1). A usage error is one that the command line alone
 * shows (unknown option, missing argument, bad value, conflicting options); an input error
 * needs the files (missing, malformed, or not fitting the command). */
enum { CLI_EXIT_OK = 0, CLI_EXIT_ERROR = 1, CLI_EXIT_USAGE = 2 };

/* "gmoe: " + message + newline on stderr. */
void cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);
/* Print a library error and return CLI_EXIT_ERROR. */
int cli_lib_error(const gmoe_error *err);
/* cli_lib_error for an error about the data read from the CSV file path: an error at one
 * observation (err->obs) names the file and the observation's line instead. */
int cli_data_error(const char *path, const gmoe_error *err);
/* Print a usage error and return CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) CLI_PRINTF(1, 2);

/* Strict parsers for option values: the whole argument must be consumed, no overflow, no
 * NaN or infinity. On failure they print a message naming the option and the value, e.g.
 *   gmoe: -n must be a positive integer (got "abc")
 * and return CLI_EXIT_USAGE; on success they return 0. */
int cli_parse_double(const char *opt, const char *arg, double *out);
int cli_parse_positive_double(const char *opt, const char *arg, double *out);
/* An integer >= 1. Plain decimal digits, or a number written like 1e6 whose value is a whole
 * number (sample sizes are often written that way). */
int cli_parse_count(const char *opt, const char *arg, size_t *out);
/* A seed of the MT19937 generator: 1..4294967295. (GSL maps 0 to its default seed 4357 and
 * keeps only the low 32 bits, so other values would silently alias.) */
int cli_parse_seed(const char *opt, const char *arg, unsigned long *out);

/* A number as a JSON value: %.17g (a round trip is exact), or null when not finite. */
void cli_json_double(FILE *fp, double v);

/* A number in a CSV output file: the shortest decimal that reads back exactly
 * (gmoe_csv_format_double). */
void cli_csv_double(FILE *fp, double v);

/* Whether a stream is a terminal (progress output goes to stderr only when it is). */
int cli_isatty(FILE *fp);

/* An output file written atomically: the text goes to a new temporary file beside the
 * target, which replaces the target only once it is complete (flushed, synced, closed,
 * renamed). A failed or interrupted command thus never leaves a half-written file under the
 * target's name, nor destroys a previous one. Path "-" is standard output, written directly.
 * The library's writers (gmoe_model_write, gmoe_csv_write) do the same for their files. */
typedef gmoe_outfile cli_outfile; /* gmoe_file.h, with the errors printed */

/* Open. On failure print "gmoe: PATH: cannot write: REASON" and return CLI_EXIT_ERROR. */
int cli_outfile_open(cli_outfile *of, const char *path);
/* Finish: for a file, flush, fsync, close and rename over the target; for standard output,
 * flush. On a write error print "gmoe: PATH: write failed: REASON", remove the temporary
 * file and return CLI_EXIT_ERROR. The struct is closed either way. */
int cli_outfile_commit(cli_outfile *of);
/* Give up: close and remove the temporary file (the target is untouched). A no-op on a
 * closed or zeroed struct, so the cleanup label of a command may always call it. */
void cli_outfile_abort(cli_outfile *of);

/* ---------------------------------------------------------------- shared options
 * Long-only options get values above 255 so they never clash with short options. */
enum {
    CLI_OPT_SEED = 0x100,
    CLI_OPT_JSON,
    CLI_OPT_PROGRESS,
    CLI_OPT_QUIET,
    CLI_OPT_Y,
    CLI_OPT_X,
    CLI_OPT_FACTOR,
    CLI_OPT_DESIGN,
    CLI_OPT_LO,
    CLI_OPT_HI,
    CLI_OPT_MEAN,
    CLI_OPT_SD,
    CLI_OPT_FIRST_LOCAL /* first value free for a subcommand's own long-only options */
};

#define CLI_SEED_DEFAULT 1UL

/* Entries for a subcommand's struct option array. */
#define CLI_OPTION_HELP                                                                            \
    {                                                                                              \
        "help", no_argument, NULL, 'h'                                                             \
    }
#define CLI_OPTION_MODEL                                                                           \
    {                                                                                              \
        "model", required_argument, NULL, 'm'                                                      \
    }
#define CLI_OPTION_OUTPUT                                                                          \
    {                                                                                              \
        "output", required_argument, NULL, 'o'                                                     \
    }
#define CLI_OPTION_SEED                                                                            \
    {                                                                                              \
        "seed", required_argument, NULL, CLI_OPT_SEED                                              \
    }
#define CLI_OPTION_JSON                                                                            \
    {                                                                                              \
        "json", no_argument, NULL, CLI_OPT_JSON                                                    \
    }
#define CLI_OPTION_PROGRESS                                                                        \
    {                                                                                              \
        "progress", no_argument, NULL, CLI_OPT_PROGRESS                                            \
    }
#define CLI_OPTION_QUIET                                                                           \
    {                                                                                              \
        "quiet", no_argument, NULL, CLI_OPT_QUIET                                                  \
    }
#define CLI_OPTION_Y                                                                               \
    {                                                                                              \
        "y", required_argument, NULL, CLI_OPT_Y                                                    \
    }
#define CLI_OPTION_X                                                                               \
    {                                                                                              \
        "x", required_argument, NULL, CLI_OPT_X                                                    \
    }
#define CLI_OPTION_FACTOR                                                                          \
    {                                                                                              \
        "factor", required_argument, NULL, CLI_OPT_FACTOR                                          \
    }
#define CLI_OPTION_END                                                                             \
    {                                                                                              \
        NULL, 0, NULL, 0                                                                           \
    }

/* Their lines in a subcommand's --help (column 23 for descriptions). */
#define CLI_HELP_HELP "  -h, --help           print this help and exit\n"
#define CLI_HELP_MODEL "  -m, --model FILE     model file (JSON, see gmoe-formats(5)); required\n"
#define CLI_HELP_OUTPUT "  -o, --output FILE    output file; - is standard output (default -)\n"
#define CLI_HELP_SEED "      --seed S         random seed, 1..4294967295 (default 1)\n"
#define CLI_HELP_JSON "      --json           print one JSON object instead of plain text\n"
#define CLI_HELP_PROGRESS                                                                          \
    "      --progress       report progress on stderr (default: when stderr is a terminal)\n"
#define CLI_HELP_QUIET "      --quiet          no progress report\n"
#define CLI_HELP_Y "      --y COL          response column (default y)\n"
#define CLI_HELP_X                                                                                 \
    "      --x COL,COL,...  covariate columns, in model order (default: every column but\n"        \
    "                       the response, in file order)\n"
/* --y and --x of the commands that apply a model file to data (predict, loglik). */
#define CLI_HELP_MODEL_X                                                                           \
    "      --x COL,COL,...  covariate columns, in model order (default: the columns the\n"         \
    "                       model file names, else every column but the response)\n"
#define CLI_HELP_MODEL_COLUMNS                                                                     \
    "\n"                                                                                           \
    "A model file written by gmoe fit names the columns it was fitted on: they are\n"              \
    "selected by name, and a categorical covariate (gmoe fit --factor) is coded by the\n"          \
    "model's levels; a level the model does not know is an error. The selected covariate\n"        \
    "columns must match the model's d, in the model's order.\n"
#define CLI_HELP_FACTOR                                                                            \
    "      --factor COL,... code these covariate columns as categorical: the levels (texts)\n"     \
    "                       sorted bytewise, the first dropped, one 0/1 column COL=LEVEL\n"        \
    "                       for each other one (repeatable)\n"

/* The design of x: --design uniform|grid|normal with --lo/--hi or --mean/--sd, or gate
 * (simulate, eval). Entries for the option array: */
#define CLI_OPTIONS_DESIGN                                                                         \
    {"design", required_argument, NULL, CLI_OPT_DESIGN},                                           \
        {"lo", required_argument, NULL, CLI_OPT_LO}, {"hi", required_argument, NULL, CLI_OPT_HI},  \
        {"mean", required_argument, NULL, CLI_OPT_MEAN},                                           \
    {                                                                                              \
        "sd", required_argument, NULL, CLI_OPT_SD                                                  \
    }

typedef struct cli_design {
    gmoe_design_kind kind;
    double lo, hi, mean, sd;
    int lo_set, hi_set, mean_set, sd_set;
} cli_design;

void cli_design_init(cli_design *cd);
/* Handle getopt value c if it is a design option (returns 0, or CLI_EXIT_USAGE after a
 * message); returns -1 for any other option. */
int cli_design_opt(cli_design *cd, int c, const char *arg);
/* The design the options describe, for cmd (in messages): options that do not fit the design
 * and invalid values (checked as for d = 1) are usage errors. */
int cli_design_get(const cli_design *cd, const char *cmd, gmoe_design *des);
/* The gate design needs a model m with a Gaussian gate (read from path): else print an error
 * naming the file and return CLI_EXIT_ERROR. 0 for every other design. */
int cli_design_model(const gmoe_design *des, const gmoe_model *m, const char *path);

/* Values of the shared options. Initialise with cli_common_init, release with
 * cli_common_free. */
typedef struct cli_common {
    const char *cmd;    /* subcommand name, for messages */
    const char *model;  /* --model, or NULL */
    const char *output; /* -o, default "-" */
    unsigned long seed; /* --seed, default CLI_SEED_DEFAULT */
    int seed_set;
    int json;      /* --json */
    int progress;  /* -1: when stderr is a terminal; 0: --quiet; 1: --progress */
    const char *y; /* --y, or NULL (the default column "y") */
    char **x;      /* --x, split at commas (owned), or NULL */
    size_t nx;
    char **factor; /* --factor, the lists of every occurrence joined (owned), or NULL */
    size_t nfactor;
} cli_common;

void cli_common_init(cli_common *co, const char *cmd);
void cli_common_free(cli_common *co);

/* Split a comma-separated list of column names (the value of option opt) into *list, *count
 * names (owned by the caller: cli_free_list). Empty and repeated names are usage errors:
 * prints the message and returns CLI_EXIT_USAGE. */
int cli_parse_list(const char *opt, const char *arg, char ***list, size_t *count);
void cli_free_list(char **list, size_t count);

/* Handle one value c returned by getopt_long (called with a ':'-prefixed optstring) that the
 * subcommand does not handle itself: a shared option, or the '?' and ':' errors. Returns 0
 * when the option was consumed, or CLI_EXIT_USAGE after printing the message. */
int cli_common_opt(cli_common *co, int c, const char *arg, char *const *argv);

/* Check the positional arguments left after option parsing (argv[optind..argc-1]): between
 * min and max of them; what names the missing ones ("data file"). Prints a usage error and
 * returns CLI_EXIT_USAGE when there are too few or too many. */
int cli_check_positional(const cli_common *co, int argc, char *const *argv, int min, int max,
                         const char *what);

/* Whether progress should be reported on stderr. */
int cli_progress_enabled(const cli_common *co);

/* A usage error when the --x list names the response column (default "y"): the message
 * "CMD: column "y" is both the response (--y) and a covariate (--x)". */
int cli_check_xy(const cli_common *co);

/* The CSV column selection that --y, --x and --factor describe. The arrays point into co. */
void cli_csv_spec(const cli_common *co, gmoe_csv_spec *spec);

#endif
