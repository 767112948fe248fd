// libFuzzer's driver, called from each fuzz target's main (SwiftPM renames a Swift executable's main, so the
// main libFuzzer provides cannot be used directly).
#ifndef FUZZER_DRIVER_H
#define FUZZER_DRIVER_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

/// Runs libFuzzer with the command line's options on the target's `LLVMFuzzerTestOneInput` (each target
/// defines it with `@_cdecl`), then exits with libFuzzer's status. A target's whole main.swift is
/// `import FuzzerDriver` and `FuzzerMain(CommandLine.argc, CommandLine.unsafeArgv)`.
_Noreturn void FuzzerMain(int argc, char **argv);

#endif
