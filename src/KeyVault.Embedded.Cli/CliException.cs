namespace KeyVault.Embedded.Cli;

/// <summary>
/// A failure found by the tool itself before the vault is asked (a missing input file, bad base64, no root given): the
/// same <c>ERROR: (Code) message</c> shape and exit codes as a vault error. Messages never carry an input's content.
/// </summary>
internal sealed class CliException : Exception
{
    public CliException(string errorCode, int exitCode, string message)
        : base(message)
    {
        ErrorCode = errorCode;
        ExitCode = exitCode;
    }

    public string ErrorCode { get; }

    public int ExitCode { get; }

    public static CliException BadParameter(string message) => new("BadParameter", ExitCodes.BadParameter, message);

    public static CliException NotFound(string code, string message) => new(code, ExitCodes.NotFound, message);

    public static CliException Conflict(string message) => new("Conflict", ExitCodes.Conflict, message);
}
