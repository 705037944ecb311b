/* libFuzzer harness for the csv reader (targets.h); built and run by `make fuzz`. */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return gmoe_fuzz_csv(data, size);
}
