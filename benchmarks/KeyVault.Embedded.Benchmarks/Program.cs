using BenchmarkDotNet.Running;

// Run from this folder: dotnet run -c Release -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
