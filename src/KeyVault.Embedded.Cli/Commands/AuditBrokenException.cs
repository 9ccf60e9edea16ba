using System.Text.Json.Nodes;

namespace KeyVault.Embedded.Cli.Commands;

/// <summary>A verification that found the audit chain broken: its report still goes to standard output, then exit 7.</summary>
internal sealed class AuditBrokenException(JsonObject report, string problem) : Exception($"The audit trail does not verify: {problem}.")
{
    public JsonObject Report { get; } = report;
}
