namespace KeyVault.Embedded.Cli.Output;

/// <summary>How results go to standard output, as az's <c>--output</c>.</summary>
internal enum OutputFormat
{
    Json,
    Table,
    Tsv,
}
