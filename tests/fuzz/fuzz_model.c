/* libFuzzer harness for the model reader (targets.h); built and run by `make fuzz`. */
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return gmoe_fuzz_model(data, size);
}
