using System.CommandLine;
using System.CommandLine.Help;
using KeyVault.Embedded.Cli.Commands;

namespace KeyVault.Embedded.Cli;

/// <summary>
/// The tool: parses, runs the command, and turns every failure into <c>ERROR: (Code) message</c> on standard error and
/// a stable exit code (<see cref="ExitCodes"/>). Standard output carries results only.
/// </summary>
internal static class KvApplication
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = BuildRootCommand();
        // No response files: an argument '@FILE' is az's "read this value from FILE" (--policy @policy.json), which the
        // option reads itself, never a list of more arguments.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            foreach (var error in parse.Errors)
            {
                Console.Error.WriteLine($"ERROR: (UsageError) {error.Message}");
            }

            Console.Error.WriteLine($"Try '{CommandPath(parse)} --help'.");
            return ExitCodes.UsageError;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
        }
        catch (VaultException e)
        {
            Console.Error.WriteLine($"ERROR: ({e.ErrorCode}) {e.Message}");
            return ExitCodes.For(e);
        }
        catch (Commands.AuditBrokenException e)
        {
            CommandFactory.Write(parse, e.Report);
            Console.Error.WriteLine($"ERROR: (IntegrityCheckFailed) {e.Message}");
            return ExitCodes.IntegrityFailure;
        }
        catch (CliException e)
        {
            Console.Error.WriteLine($"ERROR: ({e.ErrorCode}) {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("ERROR: (Cancelled) The operation was cancelled.");
            return ExitCodes.GeneralFailure;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The tool's own files (an input or output path): the message names the path, never content.
            Console.Error.WriteLine($"ERROR: (FileError) {e.Message}");
            return ExitCodes.GeneralFailure;
        }
        catch (ArgumentException e)
        {
            // An argument a library refused (an empty path): its parameter's name, never its value.
            Console.Error.WriteLine($"ERROR: (BadParameter) An argument was refused ({e.GetType().Name}{(e.ParamName is { } name ? ", parameter " + name : string.Empty)}).");
            return ExitCodes.BadParameter;
        }
        catch (Exception e)
        {
            // Never a stack trace or an exception's message (it could quote input): the type, and exit 1.
            Console.Error.WriteLine($"ERROR: (InternalError) The command failed unexpectedly ({e.GetType().Name}).");
            return ExitCodes.GeneralFailure;
        }
    }

    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand(
            "kv: operate a KeyVault.Embedded vault, as 'az keyvault' operates Azure Key Vault. Results go to standard output " +
            "(-o json|table|tsv), diagnostics to standard error. Exit codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 forbidden, " +
            "5 conflict, 6 bad parameter, 7 integrity, 8 root key, 9 storage unavailable or in use.");
        foreach (var option in GlobalOptions.All)
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(SecretCommands.Create());
        root.Subcommands.Add(KeyCommands.Create());
        root.Subcommands.Add(CertificateCommands.Create());
        root.Subcommands.Add(VaultCommands.Create());
        root.Subcommands.Add(RoleCommands.Create());
        root.Subcommands.Add(AuditCommands.Create());
        return root;
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Add(result.Command is RootCommand ? "kv" : result.Command.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
