/* Fuzz targets: the readers of hostile input (CSV data, model files, sweep configs), each
 * fed one input as bytes. The libFuzzer harnesses (fuzz_<name>.c, built by `make fuzz` with
 * clang) and the regression runner (test_fuzz_regress.c, built by `make check`) call these
 * same functions, so that a crashing input kept under tests/fuzz/regress/<name>/ replays
 * exactly what the fuzzer ran.
 *
 * Besides "no crash, no leak, no undefined behaviour" (the sanitizers' part), each target
 * checks the readers' contract and abort()s when it is broken: on failure the output is NULL
 * and the message is one non-empty line; on success the result is consistent (CSV values
 * finite; a model passes gmoe_model_validate and survives write -> read -> write unchanged). */
#ifndef GMOE_FUZZ_TARGETS_H
#define GMOE_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

/* Each returns 0; a broken contract aborts. Inputs are written to a private temporary
 * directory (made on first use, removed at exit) where the readers need a file. */
int gmoe_fuzz_csv(const uint8_t *data, size_t size);
int gmoe_fuzz_model(const uint8_t *data, size_t size);
int gmoe_fuzz_sweep(const uint8_t *data, size_t size);

#endif
