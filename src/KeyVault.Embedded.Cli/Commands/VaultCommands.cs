using System.CommandLine;
using System.Text.Json.Nodes;
using KeyVault.Embedded.Cli.Input;
using KeyVault.Embedded.Cli.Output;
using static KeyVault.Embedded.Cli.Commands.CommandFactory;

namespace KeyVault.Embedded.Cli.Commands;

/// <summary><c>kv vault ...</c>: the whole vault (create, backup, verify, restore, export, import, key rotation).</summary>
internal static class VaultCommands
{
    public static Command Create() => Group("vault", "Create a vault, back it up, verify and restore backups, rotate its keys.",
        CreateVault(), Show(), EnablePurgeProtection(), Backup(), VerifyBackup(), Restore(), Export(), Import(), RotateKek(), RotateRoot(), MigrateRoot());

    private static Command CreateVault()
    {
        var retention = new Option<int>("--retention-days")
        {
            Description = "Soft-delete retention, 7 to 90 days; fixed when the vault is created.",
            DefaultValueFactory = _ => 90,
        };
        var purgeProtection = new Option<bool>("--enable-purge-protection") { Description = "Turn purge protection on (it never goes off again)." };
        var generateKey = new Option<bool>("--generate-pkcs11-key") { Description = "With --pkcs11-module: first generate the root key in the token under --key-label (AES-256, non-extractable, wrap/unwrap only; refused when the label exists)." };
        return CreateStandalone("create", "Create a new vault under the root given (the file must not exist).", [retention, purgeProtection, generateKey],
            async (parse, ct) =>
            {
                var options = VaultConnection.CreateOptions(parse, mustExist: false, out var location);
                var generated = parse.GetValue(generateKey);
                using var root = VaultConnection.CreateRoot(parse, RootOptions.Current, generated, newRoot: true) as IDisposable;
                options.RootKey = (IRootKeyProvider)root!;
                options.SoftDeleteRetentionDays = parse.GetValue(retention);
                options.EnablePurgeProtection = parse.GetValue(purgeProtection);
                try
                {
                    await using var vault = await EmbeddedVault.OpenAsync(options, ct).ConfigureAwait(false);
                    return Json.Vault(vault.Properties, location);
                }
                catch when (generated && !VaultConnection.VaultExists(parse, options))
                {
                    // Refused (a retention out of range, an anchor in the way, ...): the key generated for it wraps nothing.
                    VaultConnection.RemoveUnusedRootKey(options.RootKey);
                    throw;
                }
            });
    }

    private static Command Show() =>
        CommandFactory.Create("show", "Show the vault's properties.", [], _ => (vault, info, _) => Task.FromResult<JsonNode?>(Json.Vault(vault.Properties, info.Location)));

    private static Command EnablePurgeProtection() =>
        CommandFactory.Create("enable-purge-protection", "Turn purge protection on. It can never be turned off again.", [],
            _ => async (vault, info, ct) =>
            {
                await vault.EnablePurgeProtectionAsync(ct).ConfigureAwait(false);
                return Json.Vault(vault.Properties, info.Location);
            });

    private static Command Backup()
    {
        var file = Required("--file", "The backup file to write (must not exist).", "-f");
        return CommandFactory.Create("backup", "Back up the whole vault online to a file (a progress bar on a terminal).", [file],
            parse =>
            {
                CommandInput.EnsureNew(parse.GetValue(file)!, "--file");
                return async (vault, _, ct) =>
                {
                    var result = await ProgressDisplay.RunAsync("backup", progress => vault.BackupAsync(parse.GetValue(file)!, progress, ct)).ConfigureAwait(false);
                    return new JsonObject
                    {
                        ["file"] = parse.GetValue(file),
                        ["vaultId"] = result.VaultId.ToString(),
                        ["generation"] = result.Generation,
                        ["recordCount"] = result.RecordCount,
                        ["bytes"] = result.Bytes,
                    };
                };
            });
    }

    private static Command VerifyBackup()
    {
        var file = Required("--file", "The backup file.", "-f");
        return CreateStandalone("verify-backup", "Verify a backup under the root given: every record authenticated, nothing written.", [file],
            async (parse, ct) =>
            {
                var path = parse.GetValue(file)!;
                if (!File.Exists(path))
                {
                    throw CliException.BadParameter($"--file: there is no file '{path}'.");
                }

                using var root = VaultConnection.CreateRoot(parse) as IDisposable;
                var verification = await ProgressDisplay.RunAsync("verify", progress => EmbeddedVault.VerifyBackupAsync(path, (IRootKeyProvider)root!, progress, ct)).ConfigureAwait(false);
                return Json.BackupVerification(verification);
            });
    }

    private static Command Restore()
    {
        var file = Required("--file", "The backup file.", "-f");
        var to = Required("--to", "The new vault file to restore into (must not exist).");
        var replace = new Option<bool>("--replace-existing-anchor") { Description = "The vault the anchor (--anchor-path, --token-anchor) protects is gone for good: take the anchor over, so that no copy of that vault opens again." };
        return CreateStandalone("restore", "Restore a backup into a new vault file, after verifying it.", [file, to, replace],
            async (parse, ct) =>
            {
                var path = parse.GetValue(file)!;
                if (!File.Exists(path))
                {
                    throw CliException.BadParameter($"--file: there is no file '{path}'.");
                }

                if (!string.IsNullOrWhiteSpace(parse.GetValue(GlobalOptions.PostgreSql)))
                {
                    // Not silently a file: the library restores a whole-vault backup into a vault file only.
                    throw CliException.BadParameter("restore writes a new vault file (--to): a whole-vault backup is not restored into PostgreSQL. Restore it to a file, then move its objects into the database's vault with 'kv vault export' and 'kv vault import'.");
                }

                var options = VaultConnection.CreateOptions(parse, mustExist: false, out var location, parse.GetValue(to));
                using var root = VaultConnection.CreateRoot(parse) as IDisposable;
                options.RootKey = (IRootKeyProvider)root!;
                var verification = await ProgressDisplay.RunAsync("restore", progress => EmbeddedVault.RestoreAsync(path, options, new VaultRestoreOptions { ReplaceExistingAnchor = parse.GetValue(replace) }, progress, ct)).ConfigureAwait(false);
                var json = Json.BackupVerification(verification);
                json["location"] = location;
                return json;
            });
    }

    private static Command Export()
    {
        var file = Required("--file", "The export file to write (must not exist).", "-f");
        var key = Required("--export-key-file", "A software key file (32 bytes) that seals the export; another vault imports it with the same key.");
        var deleted = new Option<bool>("--include-deleted") { Description = "Export deleted objects too." };
        return CommandFactory.Create("export", "Export every object to a portable file sealed by an export key, for another vault (any root).", [file, key, deleted],
            parse =>
            {
                CommandInput.EnsureNew(parse.GetValue(file)!, "--file");
                var exportKey = SoftwareRootKey.FromFile(parse.GetValue(key)!);
                return async (vault, _, ct) =>
                {
                    using (exportKey)
                    {
                        await using var stream = CommandInput.CreateNewFile(parse.GetValue(file)!);
                        var result = await ProgressDisplay.RunAsync("export", progress =>
                            vault.ExportAsync(stream, exportKey, new VaultExportOptions { IncludeDeleted = parse.GetValue(deleted) }, progress, ct), "objects").ConfigureAwait(false);
                        stream.Flush(flushToDisk: true);
                        return new JsonObject { ["file"] = parse.GetValue(file), ["objects"] = result.Objects, ["versions"] = result.Versions, ["bytes"] = result.Bytes };
                    }
                };
            });
    }

    private static Command Import()
    {
        var file = Required("--file", "An export made by 'kv vault export'.", "-f");
        var key = Required("--export-key-file", "The export key file it was sealed with.");
        return CommandFactory.Create("import", "Import the objects of an export file (refused for names in use).", [file, key],
            parse =>
            {
                var path = parse.GetValue(file)!;
                if (!File.Exists(path))
                {
                    throw CliException.BadParameter($"--file: there is no file '{path}'.");
                }

                var exportKey = SoftwareRootKey.FromFile(parse.GetValue(key)!);
                return async (vault, _, ct) =>
                {
                    using (exportKey)
                    {
                        await using var stream = File.OpenRead(path);
                        var result = await ProgressDisplay.RunAsync("import", progress => vault.ImportAsync(stream, exportKey, progress, ct), "objects").ConfigureAwait(false);
                        return new JsonObject { ["objects"] = result.Objects, ["versions"] = result.Versions, ["bytes"] = result.Bytes };
                    }
                };
            });
    }

    private static Command RotateKek() =>
        CommandFactory.Create("rotate-kek", "Rotate the key-encryption key and re-seal every record under it, online (a progress bar on a terminal).", [],
            _ => async (vault, info, ct) =>
            {
                var json = Json.Vault(vault.Properties, info.Location);
                json["resealedRecords"] = await ResealAsync(vault, ct).ConfigureAwait(false);
                json["keyEncryptionKeyVersion"] = vault.Properties.KeyEncryptionKeyVersion;
                return json;
            });

    private static Command RotateRoot()
    {
        var newFile = Optional("--new-root-key-file", "The new root: a software key file.");
        var newEnv = Optional("--new-root-key-env", "The new root: an environment variable holding the key.");
        return CommandFactory.Create("rotate-root", "Re-wrap the key-encryption keys under a new software root (the records are not re-sealed).", [newFile, newEnv],
            parse =>
            {
                var file = parse.GetValue(newFile);
                var variable = parse.GetValue(newEnv);
                if ((file is null) == (variable is null))
                {
                    throw CliException.BadParameter("Give exactly one of --new-root-key-file and --new-root-key-env.");
                }

                var newRoot = file is not null ? SoftwareRootKey.FromFile(file) : SoftwareRootKey.FromEnvironmentVariable(variable!);
                return async (vault, info, ct) =>
                {
                    using (newRoot)
                    {
                        await vault.RotateRootKeyAsync(newRoot, ct).ConfigureAwait(false);
                        return Json.Vault(vault.Properties, info.Location);
                    }
                };
            });
    }

    private static Command MigrateRoot()
    {
        var target = RootOptions.CreateTarget();
        var generateKey = new Option<bool>("--to-generate-pkcs11-key") { Description = "With --to-pkcs11-module: first generate the new root key in the token under --to-key-label (refused when the label exists)." };
        var noReseal = new Option<bool>("--no-reseal") { Description = "Only re-wrap the key-encryption keys (as rotate-root); leave the records sealed under the present key-encryption key." };
        return CommandFactory.Create("migrate-root",
            "Move the vault to a new root of any kind (software key, passphrase, PKCS#11 token), then rotate the key-encryption key " +
            "and re-seal every record under it, online (a progress bar on a terminal), so that nothing stays sealed under a key the old root ever held.",
            [.. target.All, generateKey, noReseal],
            // The new root is read (and a token key generated) only once the vault has opened under its present
            // root: a wrong present root, or a vault in use, leaves no orphan key in the token.
            parse => async (vault, info, ct) =>
            {
                var newRoot = VaultConnection.CreateRoot(parse, target, parse.GetValue(generateKey));
                try
                {
                    await vault.RotateRootKeyAsync(newRoot, ct).ConfigureAwait(false);
                }
                catch when (parse.GetValue(generateKey))
                {
                    // Not removed here: a failure after the commit (a lost fsync's report) may leave the vault under it.
                    Console.Error.WriteLine("migrate: a root key was generated in the token under --to-key-label for this migration; if the vault is still under its old root, it wraps nothing: remove it, or name it again without --to-generate-pkcs11-key.");
                    throw;
                }
                finally
                {
                    (newRoot as IDisposable)?.Dispose();
                }

                Console.Error.WriteLine($"migrate: the vault is under its new root ({vault.Properties.RootKind}).");
                long resealed = 0;
                if (!parse.GetValue(noReseal))
                {
                    try
                    {
                        resealed = await ResealAsync(vault, ct).ConfigureAwait(false);
                    }
                    catch
                    {
                        Console.Error.WriteLine("migrate: the root moved, but the re-seal did not finish: run 'kv vault rotate-kek' with the new root.");
                        throw;
                    }
                }

                var json = Json.Vault(vault.Properties, info.Location);
                json["resealedRecords"] = resealed;
                return json;
            });
    }

    /// <summary>Rotates the key-encryption key with a progress display; the number of records re-sealed.</summary>
    private static async Task<long> ResealAsync(EmbeddedVault vault, CancellationToken ct)
    {
        long resealed = 0;
        await ProgressDisplay.RunAsync("re-seal", progress =>
            vault.RotateKeyEncryptionKeyAsync(new Observed(progress, value => resealed = value.Completed), ct)).ConfigureAwait(false);
        return resealed;
    }

    /// <summary>Passes progress on and lets the caller see it (the last report's count is the work done).</summary>
    private sealed class Observed(IProgress<VaultProgress> inner, Action<VaultProgress> seen) : IProgress<VaultProgress>
    {
        public void Report(VaultProgress value)
        {
            seen(value);
            inner.Report(value);
        }
    }
}
