using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KeyVault.Embedded.Cli.Input;
using KeyVault.Embedded.Cli.Output;
using KeyVault.Embedded.Secrets;
using static KeyVault.Embedded.Cli.Commands.CommandFactory;

namespace KeyVault.Embedded.Cli.Commands;

/// <summary><c>kv secret ...</c>, as <c>az keyvault secret ...</c>.</summary>
internal static class SecretCommands
{
    public static Command Create() => Group("secret", "Manage secrets: versions, attributes, soft delete, backups.",
        Set(), Show(), List(), ListVersions(), SetAttributes(), Delete(), Recover(), Purge(), Backup(), Restore(), ListDeleted());

    private static Option<string> Name() => Required("--name", "The secret's name (0-9, a-z, A-Z, -; case-insensitive).", "-n");

    private static Command Set()
    {
        var name = Name();
        var value = Optional("--value", "The value on the command line. Visible in the shell's history and the process list: prefer --file or standard input.");
        var file = Optional("--file", "Read the value from this file (UTF-8), exactly as it is.", "-f");
        var contentType = Optional("--content-type", "The value's content type, for example text/plain.");
        var disabled = new Option<bool>("--disabled") { Description = "Create the version disabled." };
        var expires = new Option<DateTimeOffset?>("--expires") { Description = "Expiry (ISO 8601, UTC)." };
        var notBefore = new Option<DateTimeOffset?>("--not-before") { Description = "Not valid before (ISO 8601, UTC)." };
        var tags = TagsOption();
        return CommandFactory.Create("set",
            "Set a secret: a new version that becomes current. The value comes from --file, from standard input when it is redirected, " +
            "or is typed without echo on a terminal; --value puts it on the command line (and in the shell's history).",
            [name, value, file, contentType, disabled, expires, notBefore, tags],
            parse =>
            {
                var text = ReadValue(parse, parse.GetValue(name)!, parse.GetValue(value), parse.GetValue(file));
                var tagValues = CommandInput.Tags(parse.GetValue(tags));
                return async (vault, _, ct) =>
                {
                    var secret = new KeyVaultSecret(parse.GetValue(name)!, text);
                    secret.Properties.ContentType = parse.GetValue(contentType);
                    secret.Properties.ExpiresOn = parse.GetValue(expires);
                    secret.Properties.NotBefore = parse.GetValue(notBefore);
                    if (parse.GetValue(disabled))
                    {
                        secret.Properties.Enabled = false;
                    }

                    foreach (var (k, v) in tagValues)
                    {
                        secret.Properties.Tags[k] = v;
                    }

                    var set = await vault.Secrets.SetSecretAsync(secret, ct).ConfigureAwait(false);
                    return Json.Secret(set, includeValue: false);
                };
            });
    }

    private static Command Show()
    {
        var name = Name();
        var version = Optional("--version", "A version id; default the current version.");
        return CommandFactory.Create("show", "Show a secret's value and attributes (the value goes to standard output).", [name, version],
            parse => async (vault, _, ct) =>
                Json.Secret(await vault.Secrets.GetSecretAsync(parse.GetValue(name)!, parse.GetValue(version), ct).ConfigureAwait(false), includeValue: true));
    }

    private static Command List() =>
        CommandFactory.Create("list", "List secrets (current version's attributes; never values).", [],
            _ => async (vault, _, ct) =>
            {
                var items = new JsonArray();
                await foreach (var p in vault.Secrets.GetPropertiesOfSecretsAsync(ct).ConfigureAwait(false))
                {
                    items.Add(Json.Properties(p));
                }

                return items;
            });

    private static Command ListVersions()
    {
        var name = Name();
        return CommandFactory.Create("list-versions", "List a secret's versions (attributes; never values).", [name],
            parse => async (vault, _, ct) =>
            {
                var items = new JsonArray();
                await foreach (var p in vault.Secrets.GetPropertiesOfSecretVersionsAsync(parse.GetValue(name)!, ct).ConfigureAwait(false))
                {
                    items.Add(Json.Properties(p));
                }

                return items;
            });
    }

    private static Command SetAttributes()
    {
        var name = Name();
        var version = Optional("--version", "A version id; default the current version.");
        var enabled = new Option<bool?>("--enabled") { Description = "true or false." };
        var expires = new Option<DateTimeOffset?>("--expires") { Description = "Expiry (ISO 8601, UTC)." };
        var notBefore = new Option<DateTimeOffset?>("--not-before") { Description = "Not valid before (ISO 8601, UTC)." };
        var contentType = Optional("--content-type", "The value's content type.");
        var tags = TagsOption();
        return CommandFactory.Create("set-attributes", "Update a version's attributes (never its value).",
            [name, version, enabled, expires, notBefore, contentType, tags],
            parse =>
            {
                var tagValues = parse.GetValue(tags) is null ? null : CommandInput.Tags(parse.GetValue(tags));
                return async (vault, _, ct) =>
                {
                    var properties = await FindPropertiesAsync(vault, parse.GetValue(name)!, parse.GetValue(version), ct).ConfigureAwait(false);
                    if (parse.GetValue(enabled) is { } e)
                    {
                        properties.Enabled = e;
                    }

                    if (parse.GetValue(expires) is { } x)
                    {
                        properties.ExpiresOn = x;
                    }

                    if (parse.GetValue(notBefore) is { } nb)
                    {
                        properties.NotBefore = nb;
                    }

                    if (parse.GetValue(contentType) is { } c)
                    {
                        properties.ContentType = c;
                    }

                    if (tagValues is not null)
                    {
                        // az replaces the tags with the ones given.
                        properties.Tags.Clear();
                        foreach (var (k, v) in tagValues)
                        {
                            properties.Tags[k] = v;
                        }
                    }

                    return Json.Properties(await vault.Secrets.UpdateSecretPropertiesAsync(properties, ct).ConfigureAwait(false));
                };
            });
    }

    private static Command Delete()
    {
        var name = Name();
        return CommandFactory.Create("delete", "Delete a secret (soft delete: recoverable until purged or the retention ends).", [name],
            parse => async (vault, _, ct) =>
                Json.Secret((await vault.Secrets.StartDeleteSecretAsync(parse.GetValue(name)!, ct).ConfigureAwait(false)).Value, includeValue: false));
    }

    private static Command Recover()
    {
        var name = Name();
        return CommandFactory.Create("recover", "Recover a deleted secret, with all its versions.", [name],
            parse => async (vault, _, ct) =>
                Json.Properties((await vault.Secrets.StartRecoverDeletedSecretAsync(parse.GetValue(name)!, ct).ConfigureAwait(false)).Value));
    }

    private static Command Purge()
    {
        var name = Name();
        return CommandFactory.Create("purge", "Purge a deleted secret for good (refused under purge protection before its date).", [name],
            parse => async (vault, _, ct) =>
            {
                await vault.Secrets.PurgeDeletedSecretAsync(parse.GetValue(name)!, ct).ConfigureAwait(false);
                return null;
            });
    }

    private static Command Backup()
    {
        var name = Name();
        var file = Required("--file", "Where to write the backup (a new file, mode 0600).", "-f");
        return CommandFactory.Create("backup", "Back up a secret, all versions, to an encrypted, authenticated blob.", [name, file],
            parse =>
            {
                CommandInput.EnsureNew(parse.GetValue(file)!, "--file");
                return async (vault, _, ct) =>
                {
                    var blob = await vault.Secrets.BackupSecretAsync(parse.GetValue(name)!, ct).ConfigureAwait(false);
                    CommandInput.WriteNewFile(parse.GetValue(file)!, blob);
                    return null;
                };
            });
    }

    private static Command Restore()
    {
        var file = Required("--file", "A backup made by 'kv secret backup'.", "-f");
        return CommandFactory.Create("restore", "Restore a backed-up secret (refused when its name is in use).", [file],
            parse =>
            {
                var blob = CommandInput.ReadFile(parse.GetValue(file)!, "--file");
                return async (vault, _, ct) => Json.Properties(await vault.Secrets.RestoreSecretBackupAsync(blob, ct).ConfigureAwait(false));
            });
    }

    private static Command ListDeleted() =>
        CommandFactory.Create("list-deleted", "List deleted secrets.", [],
            _ => async (vault, _, ct) =>
            {
                var items = new JsonArray();
                await foreach (var d in vault.Secrets.GetDeletedSecretsAsync(ct).ConfigureAwait(false))
                {
                    items.Add(Json.Secret(d, includeValue: false));
                }

                return items;
            });

    private static Option<string[]> TagsOption() =>
        new("--tags") { Description = "Tags as name=value pairs, space-separated.", AllowMultipleArgumentsPerToken = true };

    private static string ReadValue(ParseResult parse, string name, string? value, string? file)
    {
        if (value is not null && file is not null)
        {
            throw CliException.BadParameter("Give one of --value and --file.");
        }

        if (value is not null)
        {
            return value;
        }

        byte[] bytes;
        if (file is not null)
        {
            return Encoding.UTF8.GetString(CommandInput.ReadFile(file, "--file"));
        }

        if (Console.IsInputRedirected)
        {
            bytes = HiddenInput.ReadAllStdin();
            try
            {
                // One trailing newline is the shell's (echo, a here-string), not the value's; --file keeps bytes exact.
                var length = bytes.Length;
                if (length > 0 && bytes[length - 1] == '\n')
                {
                    length--;
                    if (length > 0 && bytes[length - 1] == '\r')
                    {
                        length--;
                    }
                }

                return Encoding.UTF8.GetString(bytes, 0, length);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(bytes);
            }
        }

        bytes = HiddenInput.ReadLine($"Value for secret '{name}': ");
        try
        {
            return Encoding.UTF8.GetString(bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static async Task<SecretProperties> FindPropertiesAsync(EmbeddedVault vault, string name, string? version, CancellationToken ct)
    {
        // Attributes come from the listings, not from a read of the value: a disabled secret can be re-enabled.
        var source = version is null ? vault.Secrets.GetPropertiesOfSecretsAsync(ct) : vault.Secrets.GetPropertiesOfSecretVersionsAsync(name, ct);
        await foreach (var p in source.ConfigureAwait(false))
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase) && (version is null || string.Equals(p.Version, version, StringComparison.OrdinalIgnoreCase)))
            {
                return p;
            }
        }

        throw new VaultObjectNotFoundException(VaultErrorCode.SecretNotFound,
            version is null ? $"Secret '{name}' was not found in this vault." : $"Secret '{name}' has no version '{version}' in this vault.");
    }
}
