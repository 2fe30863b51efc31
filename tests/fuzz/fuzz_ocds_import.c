/*  fuzz_ocds_import: an OCDS release package (or a single release) from a publication
 *  platform, compiled into tenders. */
#include <stdint.h>
#include <stdlib.h>
#include "ocds_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ocds_import_t *imp = NULL;
    if (ocds_import_new(&imp) != 0)
        return 0;
    char err[256];
    if (ocds_import_add_json(imp, (const char *)data, size, err, sizeof err) == 0) {
        ocds_import_opts_t o = { .default_buyer = "heerlen" };
        ocds_result_t res;
        if (ocds_import_compile(imp, &o, &res) == 0)
            ocds_result_clear(&res);
    }
    ocds_import_destroy(&imp);
    return 0;
}
