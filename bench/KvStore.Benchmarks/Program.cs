using BenchmarkDotNet.Running;

// `--filter` picks benchmarks by name and `--job short` gives a quick, rougher run; with no
// arguments the switcher asks which benchmarks to run.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
