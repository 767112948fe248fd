import FuzzerDriver

FuzzerMain(CommandLine.argc, CommandLine.unsafeArgv)
