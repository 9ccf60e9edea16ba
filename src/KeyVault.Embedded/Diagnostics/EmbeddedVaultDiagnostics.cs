namespace KeyVault.Embedded.Diagnostics;

/// <summary>
/// Names under which the vault reports to <c>System.Diagnostics</c>, for OpenTelemetry
/// (<c>AddMeter(EmbeddedVaultDiagnostics.MeterName)</c>, <c>AddSource(EmbeddedVaultDiagnostics.ActivitySourceName)</c>).
/// </summary>
public static class EmbeddedVaultDiagnostics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "KeyVault.Embedded";

    /// <summary>The activity source's name: one activity (span) per operation, named after it (<c>SecretGet</c>...).</summary>
    public const string ActivitySourceName = "KeyVault.Embedded";

    /// <summary>Counter of operations, tagged <c>keyvault.operation</c>, <c>keyvault.object_type</c>, <c>keyvault.outcome</c> (success or failure) and, on failure, <c>error.type</c> (the error code).</summary>
    public const string OperationsInstrument = "keyvault.embedded.operations";

    /// <summary>Histogram of operation durations in seconds, tagged <c>keyvault.operation</c> and <c>keyvault.outcome</c>.</summary>
    public const string DurationInstrument = "keyvault.embedded.operation.duration";

    /// <summary>Counter of events raised, tagged <c>keyvault.event</c> and <c>keyvault.object_type</c>.</summary>
    public const string EventsInstrument = "keyvault.embedded.events";
}
