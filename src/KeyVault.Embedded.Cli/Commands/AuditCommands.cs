using System.CommandLine;
using System.Text.Json.Nodes;
using KeyVault.Embedded.Audit;
using KeyVault.Embedded.Cli.Input;
using static KeyVault.Embedded.Cli.Commands.CommandFactory;

namespace KeyVault.Embedded.Cli.Commands;

/// <summary><c>kv audit ...</c>: check the hash chain, query it, export it as JSON Lines.</summary>
internal static class AuditCommands
{
    public static Command Create() => Group("audit", "Verify, query and export the vault's tamper-evident audit trail.", Verify(), Query(), Export());

    private static Command Verify() =>
        CommandFactory.Create("verify", "Verify the audit trail's hash chain. A broken chain exits 7 (integrity), after printing what was found.", [],
            _ => async (vault, _, ct) =>
            {
                var verification = await vault.VerifyAuditAsync(ct).ConfigureAwait(false);
                var json = new JsonObject
                {
                    ["isIntact"] = verification.IsIntact,
                    ["recordCount"] = verification.RecordCount,
                    ["firstSequence"] = verification.FirstSequence,
                    ["firstBadSequence"] = verification.FirstBadSequence,
                    ["problem"] = verification.Problem,
                };
                if (!verification.IsIntact)
                {
                    throw new AuditBrokenException(json, verification.Problem ?? "the chain does not verify");
                }

                return json;
            });

    private static Command Query()
    {
        var (symbols, build) = QueryOptions();
        return CommandFactory.Create("query", "Audit records that match, as a JSON array (Azure's AuditEvent shape).", symbols,
            parse =>
            {
                var query = build(parse);
                return async (vault, _, ct) =>
                {
                    using var buffer = new MemoryStream();
                    await vault.ExportAuditAsync(buffer, query, ct).ConfigureAwait(false);
                    buffer.Position = 0;
                    using var reader = new StreamReader(buffer);
                    var items = new JsonArray();
                    while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
                    {
                        if (line.Length > 0)
                        {
                            items.Add(JsonNode.Parse(line));
                        }
                    }

                    return items;
                };
            });
    }

    private static Command Export()
    {
        var (symbols, build) = QueryOptions();
        var file = Optional("--file", "Write to this new file instead of standard output.", "-f");
        return CommandFactory.Create("export", "Export matching audit records as JSON Lines (one AuditEvent per line).", [.. symbols, file],
            parse =>
            {
                var query = build(parse);
                var path = parse.GetValue(file);
                if (path is not null)
                {
                    CommandInput.EnsureNew(path, "--file");
                }

                return async (vault, _, ct) =>
                {
                    if (path is null)
                    {
                        await using var stdout = Console.OpenStandardOutput();
                        await vault.ExportAuditAsync(stdout, query, ct).ConfigureAwait(false);
                        return null;
                    }

                    await using var stream = CommandInput.CreateNewFile(path);
                    var count = await vault.ExportAuditAsync(stream, query, ct).ConfigureAwait(false);
                    stream.Flush(flushToDisk: true);
                    return new JsonObject { ["file"] = path, ["records"] = count };
                };
            });
    }

    private static (Symbol[] Symbols, Func<ParseResult, AuditQuery> Build) QueryOptions()
    {
        var operation = Optional("--operation", "An operation name, for example SecretGet.");
        var principal = Optional("--principal", "A caller's principal id.");
        var objectId = Optional("--object", "An object id (its URI).");
        var result = Optional("--result", "A result signature, for example OK or Forbidden.");
        var from = new Option<DateTimeOffset?>("--from") { Description = "From this time (ISO 8601)." };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Until this time (ISO 8601)." };
        return ([operation, principal, objectId, result, from, to], parse => new AuditQuery
        {
            OperationName = parse.GetValue(operation),
            PrincipalId = parse.GetValue(principal),
            ObjectId = parse.GetValue(objectId),
            ResultSignature = parse.GetValue(result),
            From = parse.GetValue(from),
            To = parse.GetValue(to),
        });
    }
}
