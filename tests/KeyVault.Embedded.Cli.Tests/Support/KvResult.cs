namespace KeyVault.Embedded.Cli.Tests.Support;

/// <summary>What one run of <c>kv</c> did: its exit code and everything it wrote to each stream.</summary>
public sealed record KvResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}
