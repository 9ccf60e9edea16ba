using System.CommandLine;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Cli.Input;
using KeyVault.Embedded.Cli.Output;
using static KeyVault.Embedded.Cli.Commands.CommandFactory;

namespace KeyVault.Embedded.Cli.Commands;

/// <summary>
/// <c>kv certificate ...</c>, as <c>az keyvault certificate ...</c>: issuance from a policy (az's policy JSON), import,
/// download of the public certificate, versions, soft delete, pending operations; issuers and contacts live in
/// <see cref="CertificateSettingsCommands"/>. The private key never reaches standard output.
/// </summary>
internal static class CertificateCommands
{
    public static Command Create() => Group("certificate", "Manage certificates: issue from a policy, import, download, pending operations, issuers, contacts.",
        CreateCertificate(), GetDefaultPolicy(), Import(), Download(), Show(), List(), ListVersions(), Delete(), Recover(), Purge(), ListDeleted(),
        PendingMerge(), Pending(), CertificateSettingsCommands.Issuer(), CertificateSettingsCommands.Contact());

    internal static Option<string> Name() => Required("--name", "The certificate's name.", "-n");

    private static Option<string?> PolicyOption(string description) => Optional("--policy", description, "-p");

    private static Option<string[]> TagsOption() =>
        new("--tags") { Description = "Tags as name=value pairs, space-separated.", AllowMultipleArgumentsPerToken = true };

    private static Command CreateCertificate()
    {
        var name = Name();
        var policy = PolicyOption("The policy: JSON in az's shape or @FILE (see 'kv certificate get-default-policy').");
        policy.Required = true;
        var validity = new Option<int?>("--validity") { Description = "Validity in months; overrides the policy's validityInMonths." };
        var disabled = new Option<bool>("--disabled") { Description = "Create the certificate disabled." };
        var tags = TagsOption();
        return CommandFactory.Create("create",
            "Create a certificate (a new version when the name exists). Self-signed and vault-CA issuers complete at once; " +
            "issuer Unknown leaves a pending operation whose CSR an outside CA signs ('kv certificate pending merge').",
            [name, policy, validity, disabled, tags],
            parse =>
            {
                var parsed = PolicyJson.Read(parse.GetValue(policy)!, "--policy");
                if (parse.GetValue(validity) is { } months)
                {
                    parsed.ValidityInMonths = months;
                }

                var tagValues = CommandInput.Tags(parse.GetValue(tags));
                return async (vault, _, ct) =>
                {
                    var operation = await vault.Certificates.StartCreateCertificateAsync(parse.GetValue(name)!, parsed,
                        parse.GetValue(disabled) ? false : null, tagValues.Count > 0 ? tagValues : null, ct).ConfigureAwait(false);
                    return CertificateOutput.Operation(operation.Properties);
                };
            });
    }

    private static Command GetDefaultPolicy() =>
        CreateStandalone("get-default-policy", "Print az's default policy (self-signed, RSA 2048, 12 months), to edit and pass to 'create --policy'.", [],
            (_, _) => Task.FromResult<JsonNode?>(PolicyJson.Default()));

    private static Command Import()
    {
        var name = Name();
        var file = Required("--file", "A PKCS#12 (PFX) file, or PEM with the certificate and its private key.", "-f");
        var password = Optional("--password", "The PFX password on the command line (visible in the shell's history): prefer --password-file.");
        var passwordFile = Optional("--password-file", "Read the PFX password from this file (first line).");
        var passwordPrompt = new Option<bool>("--password-prompt") { Description = "Type the PFX password without echo (the next line of standard input when it is redirected)." };
        var policy = PolicyOption("A policy for later renewals and content type: JSON in az's shape or @FILE.");
        var disabled = new Option<bool>("--disabled") { Description = "Import the certificate disabled." };
        var tags = TagsOption();
        return CommandFactory.Create("import", "Import a certificate with its private key (a new version when the name exists).",
            [name, file, password, passwordFile, passwordPrompt, policy, disabled, tags],
            parse =>
            {
                // Checked before the vault opens; read (and zeroed) only inside the work, so that a vault that does
                // not open leaves no copy of a private key behind.
                var path = parse.GetValue(file)!;
                if (!File.Exists(path))
                {
                    throw CliException.BadParameter($"--file: there is no file '{path}'.");
                }

                var pfxPassword = ReadPassword(parse.GetValue(password), parse.GetValue(passwordFile), parse.GetValue(passwordPrompt));
                var importPolicy = parse.GetValue(policy) is { } p ? PolicyJson.Read(p, "--policy") : null;
                var tagValues = CommandInput.Tags(parse.GetValue(tags));
                return async (vault, _, ct) =>
                {
                    var bytes = CommandInput.ReadFile(path, "--file");
                    try
                    {
                        var options = new ImportCertificateOptions(parse.GetValue(name)!, bytes) { Password = pfxPassword, Policy = importPolicy };
                        if (parse.GetValue(disabled))
                        {
                            options.Enabled = false;
                        }

                        foreach (var (k, v) in tagValues)
                        {
                            options.Tags[k] = v;
                        }

                        return CertificateOutput.Certificate(await vault.Certificates.ImportCertificateAsync(options, ct).ConfigureAwait(false));
                    }
                    finally
                    {
                        CryptographicOperations.ZeroMemory(bytes);
                    }
                };
            });
    }

    private static Command Download()
    {
        var name = Name();
        var version = Optional("--version", "A version id; default the current version.");
        var file = Required("--file", "The file to write (must not exist).", "-f");
        var encoding = new Option<string>("--encoding", "-e") { Description = "PEM (default) or DER.", DefaultValueFactory = _ => "PEM" };
        encoding.CompletionSources.Add("PEM", "DER");
        return CommandFactory.Create("download", "Download the public certificate (never its private key) as PEM or DER.", [name, version, file, encoding],
            parse =>
            {
                var pem = parse.GetValue(encoding)!.ToUpperInvariant() switch
                {
                    "PEM" => true,
                    "DER" => false,
                    _ => throw CliException.BadParameter($"--encoding '{parse.GetValue(encoding)}' is not an encoding: use PEM or DER."),
                };
                CommandInput.EnsureNew(parse.GetValue(file)!, "--file");
                return async (vault, _, ct) =>
                {
                    var certificate = await GetAsync(vault, parse.GetValue(name)!, parse.GetValue(version), ct).ConfigureAwait(false);
                    if (certificate.Cer.Length == 0)
                    {
                        // Served as Azure serves it while its first version waits for an outside CA: there is nothing to write.
                        throw CliException.Conflict($"Certificate '{certificate.Name}' is pending: its CA has not issued it yet (merge the CA's certificate with 'kv certificate pending merge'); no file was written.");
                    }

                    CommandInput.WriteNewFile(parse.GetValue(file)!, pem ? Encoding.ASCII.GetBytes(PemEncoding.WriteString("CERTIFICATE", certificate.Cer) + "\n") : certificate.Cer);
                    return null;
                };
            });
    }

    private static Command Show()
    {
        var name = Name();
        var version = Optional("--version", "A version id; default the current version (with its policy).");
        return CommandFactory.Create("show", "Show a certificate: attributes, the DER certificate (cer), and for the current version its policy.", [name, version],
            parse => async (vault, _, ct) => CertificateOutput.Certificate(await GetAsync(vault, parse.GetValue(name)!, parse.GetValue(version), ct).ConfigureAwait(false)));
    }

    private static Command List()
    {
        var pending = new Option<bool>("--include-pending") { Description = "Also list certificates whose first version is still pending." };
        return CommandFactory.Create("list", "List certificates (current versions' attributes).", [pending],
            parse => (vault, _, ct) => Collect(vault.Certificates.GetPropertiesOfCertificatesAsync(parse.GetValue(pending), ct), CertificateOutput.Properties));
    }

    private static Command ListVersions()
    {
        var name = Name();
        return CommandFactory.Create("list-versions", "List a certificate's versions.", [name],
            parse => (vault, _, ct) => Collect(vault.Certificates.GetPropertiesOfCertificateVersionsAsync(parse.GetValue(name)!, ct), CertificateOutput.Properties));
    }

    private static Command Delete()
    {
        var name = Name();
        return CommandFactory.Create("delete", "Delete a certificate with its key and secret (soft delete: recoverable until purged or the retention ends).", [name],
            parse => async (vault, _, ct) =>
                CertificateOutput.Certificate((await vault.Certificates.StartDeleteCertificateAsync(parse.GetValue(name)!, ct).ConfigureAwait(false)).Value));
    }

    private static Command Recover()
    {
        var name = Name();
        return CommandFactory.Create("recover", "Recover a deleted certificate, with all its versions.", [name],
            parse => async (vault, _, ct) =>
                CertificateOutput.Certificate((await vault.Certificates.StartRecoverDeletedCertificateAsync(parse.GetValue(name)!, ct).ConfigureAwait(false)).Value));
    }

    private static Command Purge()
    {
        var name = Name();
        return CommandFactory.Create("purge", "Purge a deleted certificate for good (refused under purge protection before its date).", [name],
            parse => async (vault, _, ct) =>
            {
                await vault.Certificates.PurgeDeletedCertificateAsync(parse.GetValue(name)!, ct).ConfigureAwait(false);
                return null;
            });
    }

    private static Command ListDeleted() =>
        CommandFactory.Create("list-deleted", "List deleted certificates.", [],
            _ => (vault, _, ct) => Collect(vault.Certificates.GetDeletedCertificatesAsync(cancellationToken: ct), d => CertificateOutput.Certificate(d)));

    private static Command Pending() => Group("pending", "A certificate's pending operation: its CSR, merging the signed certificate, cancelling.",
        PendingShow(), PendingMerge(), PendingCancel(), PendingDelete());

    private static Command PendingShow()
    {
        var name = Name();
        return CommandFactory.Create("show", "Show the pending operation, with its CSR (base64 DER) while it waits for a signed certificate.", [name],
            parse => async (vault, _, ct) =>
                CertificateOutput.Operation((await vault.Certificates.GetCertificateOperationAsync(parse.GetValue(name)!, ct).ConfigureAwait(false)).Properties));
    }

    private static Command PendingMerge()
    {
        var name = Name();
        var file = Required("--file", "The signed certificate: PEM (one or more CERTIFICATE blocks, leaf first) or DER.", "-f");
        var disabled = new Option<bool>("--disabled") { Description = "Make the merged version disabled." };
        var tags = TagsOption();
        return CommandFactory.Create("merge", "Merge the certificate an outside CA signed for the pending CSR: the operation completes.", [name, file, disabled, tags],
            parse =>
            {
                var options = new MergeCertificateOptions(parse.GetValue(name)!, ReadCertificates(CommandInput.ReadFile(parse.GetValue(file)!, "--file")));
                if (parse.GetValue(disabled))
                {
                    options.Enabled = false;
                }

                foreach (var (k, v) in CommandInput.Tags(parse.GetValue(tags)))
                {
                    options.Tags[k] = v;
                }

                return async (vault, _, ct) => CertificateOutput.Certificate(await vault.Certificates.MergeCertificateAsync(options, ct).ConfigureAwait(false));
            });
    }

    private static Command PendingCancel()
    {
        var name = Name();
        return CommandFactory.Create("cancel", "Cancel the pending operation (it stays, cancelled, until deleted).", [name],
            parse => async (vault, _, ct) =>
            {
                var operation = await vault.Certificates.GetCertificateOperationAsync(parse.GetValue(name)!, ct).ConfigureAwait(false);
                await operation.CancelAsync(ct).ConfigureAwait(false);
                return CertificateOutput.Operation(operation.Properties);
            });
    }

    private static Command PendingDelete()
    {
        var name = Name();
        return CommandFactory.Create("delete", "Delete the pending operation and its unsigned key.", [name],
            parse => async (vault, _, ct) =>
            {
                var operation = await vault.Certificates.GetCertificateOperationAsync(parse.GetValue(name)!, ct).ConfigureAwait(false);
                var shown = CertificateOutput.Operation(operation.Properties);
                await operation.DeleteAsync(ct).ConfigureAwait(false);
                return shown;
            });
    }

    private static async Task<KeyVaultCertificate> GetAsync(EmbeddedVault vault, string name, string? version, CancellationToken ct) =>
        version is null
            ? await vault.Certificates.GetCertificateAsync(name, ct).ConfigureAwait(false)
            : await vault.Certificates.GetCertificateVersionAsync(name, version, ct).ConfigureAwait(false);

    private static async Task<JsonNode?> Collect<T>(IAsyncEnumerable<T> items, Func<T, JsonObject> shape)
    {
        var result = new JsonArray();
        await foreach (var item in items.ConfigureAwait(false))
        {
            result.Add(shape(item));
        }

        return result;
    }

    private static string? ReadPassword(string? value, string? file, bool prompt)
    {
        if ((value is not null ? 1 : 0) + (file is not null ? 1 : 0) + (prompt ? 1 : 0) > 1)
        {
            throw CliException.BadParameter("Give one of --password, --password-file and --password-prompt.");
        }

        if (file is null && !prompt)
        {
            return value;
        }

        var bytes = prompt ? HiddenInput.ReadLine("PFX password: ") : CommandInput.ReadFile(file!, "--password-file");
        try
        {
            var text = Encoding.UTF8.GetString(bytes).TrimStart('\uFEFF');
            var end = text.IndexOfAny(['\r', '\n']);
            return end < 0 ? text : text[..end];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>The DER certificates in a file: every PEM <c>CERTIFICATE</c> block in order, or the file itself as DER.</summary>
    private static List<byte[]> ReadCertificates(byte[] file)
    {
        var text = Encoding.ASCII.GetString(file);
        if (!text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            return [file];
        }

        var certificates = new List<byte[]>();
        var rest = text.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            if (rest[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                certificates.Add(Convert.FromBase64String(rest[fields.Base64Data].ToString()));
            }

            rest = rest[fields.Location.End..];
        }

        return certificates.Count > 0 ? certificates : throw CliException.BadParameter("--file holds PEM but no CERTIFICATE block.");
    }
}
