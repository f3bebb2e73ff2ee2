// Starts libFuzzer from a fuzz target's own entry point.
#ifndef BULWARK_FUZZDRIVER_H
#define BULWARK_FUZZDRIVER_H

#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver (command line, corpus, mutation loop) with `test` as the target.
///
/// SwiftPM's debug builds on Linux link every executable with `main` aliased to
/// `<module>_main`, so libFuzzer's own `main` is not the one that runs: each target defines
/// `<module>_main` and calls this.
int bw_fuzz_run(int argc, char **argv, int (*test)(const uint8_t *data, size_t size));

#endif
