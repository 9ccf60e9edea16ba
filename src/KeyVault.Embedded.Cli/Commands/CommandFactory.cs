using System.CommandLine;
using System.Text.Json.Nodes;
using KeyVault.Embedded.Cli.Output;

namespace KeyVault.Embedded.Cli.Commands;

/// <summary>
/// Builds commands whose action opens the vault. Every action runs in the same order, so that bad input never reaches
/// the vault: the store and root options are checked (and a passphrase read), then the command's own input is read and
/// validated, then the vault is opened and the work done, then the result is written.
/// </summary>
internal static class CommandFactory
{
    public delegate Task<JsonNode?> VaultWork(EmbeddedVault vault, OpenedVaultInfo info, CancellationToken cancellationToken);

    public static Command Group(string name, string description, params Command[] subcommands)
    {
        var command = new Command(name, description);
        foreach (var subcommand in subcommands)
        {
            command.Subcommands.Add(subcommand);
        }

        return command;
    }

    public static Command Create(string name, string description, IEnumerable<Symbol> symbols, Func<ParseResult, VaultWork> prepare)
    {
        var command = New(name, description, symbols);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = VaultConnection.CreateOptions(parse, mustExist: true, out var location);
            var root = VaultConnection.CreateRoot(parse);
            try
            {
                var work = prepare(parse);
                options.RootKey = root;
                await using var vault = await EmbeddedVault.OpenAsync(options, cancellationToken).ConfigureAwait(false);
                var result = await work(vault, new OpenedVaultInfo(location), cancellationToken).ConfigureAwait(false);
                Write(parse, result);
                return ExitCodes.Success;
            }
            finally
            {
                (root as IDisposable)?.Dispose();
            }
        });
        return command;
    }

    /// <summary>A command that does its own opening (create, restore, verify-backup).</summary>
    public static Command CreateStandalone(string name, string description, IEnumerable<Symbol> symbols, Func<ParseResult, CancellationToken, Task<JsonNode?>> action)
    {
        var command = New(name, description, symbols);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var result = await action(parse, cancellationToken).ConfigureAwait(false);
            Write(parse, result);
            return ExitCodes.Success;
        });
        return command;
    }

    public static void Write(ParseResult parse, JsonNode? result)
    {
        if (result is not null)
        {
            ResultWriter.Write(result, parse.GetValue(GlobalOptions.Output));
        }
    }

    public static Option<string> Required(string name, string description, params string[] aliases) =>
        new(name, aliases) { Description = description, Required = true };

    public static Option<string?> Optional(string name, string description, params string[] aliases) =>
        new(name, aliases) { Description = description };

    private static Command New(string name, string description, IEnumerable<Symbol> symbols)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Option option:
                    command.Options.Add(option);
                    break;
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
            }
        }

        return command;
    }
}
