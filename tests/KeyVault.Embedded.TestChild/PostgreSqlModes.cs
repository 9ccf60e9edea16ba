using System.Diagnostics;
using System.Globalization;
using KeyVault.Embedded;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.PostgreSql;

/// <summary>
/// The child's modes on a vault in PostgreSQL (one app instance per process):
///   pg-write &lt;connection&gt; &lt;vault&gt; &lt;hex key&gt; &lt;prefix&gt; : sets secrets {prefix}{i} in a loop, printing "ACK name"
///                                      after each set returns ("ERR code" for a typed transient error), until killed.
///   pg-mixed &lt;connection&gt; &lt;vault&gt; &lt;hex key&gt; &lt;id&gt; &lt;seconds&gt; : with auditing on, mixed operations for the time given,
///                                      printing what was acknowledged; then "WRITTEN", waits for a line on stdin,
///                                      catches up and prints "SEES secrets shared-versions audit-intact".
/// </summary>
internal static class PostgreSqlModes
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = new EmbeddedVaultOptions
        {
            RootKey = SoftwareRootKey.FromBytes(Convert.FromHexString(args[3])),
            Audit = { Enabled = args[0] == "pg-mixed" },
        };
        options.UsePostgreSql(args[1], args[2]);
        await using var vault = await EmbeddedVault.OpenAsync(options);
        var output = Console.Out;
        void Say(string line)
        {
            lock (output)
            {
                output.WriteLine(line);
                output.Flush();
            }
        }

        Say("OPEN");
        return args[0] switch
        {
            "pg-write" => await WriteAsync(vault, args[4], Say),
            "pg-mixed" => await MixedAsync(vault, int.Parse(args[4], CultureInfo.InvariantCulture), TimeSpan.FromSeconds(int.Parse(args[5], CultureInfo.InvariantCulture)), Say),
            _ => 2,
        };
    }

    private static async Task<int> WriteAsync(EmbeddedVault vault, string prefix, Action<string> say)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                await vault.Secrets.SetSecretAsync($"{prefix}{i}", $"value-{prefix}{i}");
                say($"ACK {prefix}{i}");
            }
            catch (VaultException ex) when (ex.ErrorCode == VaultErrorCode.StorageUnavailable)
            {
                say("ERR StorageUnavailable");
            }
        }
    }

    private static async Task<int> MixedAsync(EmbeddedVault vault, int id, TimeSpan duration, Action<string> say)
    {
        await vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions($"signer-{id}"));
        using var signer = vault.Keys.GetCryptographyClient($"signer-{id}");
        var digest = System.Security.Cryptography.SHA256.HashData("mixed"u8);
        var clock = Stopwatch.StartNew();
        for (var i = 0; clock.Elapsed < duration; i++)
        {
            var own = $"p{id}-{i}";
            await vault.Secrets.SetSecretAsync(own, $"v-{id}-{i}");
            say($"SET {own} v-{id}-{i}");

            var shared = await vault.Secrets.SetSecretAsync("shared", $"{id}-{i}");
            say($"SHARED {shared.Properties.Version}");

            if (i % 5 == 0)
            {
                var properties = (await vault.Secrets.GetSecretAsync(own)).Properties;
                properties.ContentType = "text/plain";
                await vault.Secrets.UpdateSecretPropertiesAsync(properties);
                say($"UPDATE {own}");
            }

            if (i % 10 == 0)
            {
                var temporary = $"t{id}-{i}";
                await vault.Secrets.SetSecretAsync(temporary, "t");
                await (await vault.Secrets.StartDeleteSecretAsync(temporary)).WaitForCompletionAsync();
                await (await vault.Secrets.StartRecoverDeletedSecretAsync(temporary)).WaitForCompletionAsync();
                say($"SET {temporary} t");
            }

            if (i % 3 == 0)
            {
                var signature = await signer.SignAsync(SignatureAlgorithm.ES256, digest);
                if (!(await signer.VerifyAsync(SignatureAlgorithm.ES256, digest, signature.Signature)).IsValid)
                {
                    say("FATAL a signature did not verify");
                    return 1;
                }

                await foreach (var _ in vault.Secrets.GetPropertiesOfSecretsAsync())
                {
                }
            }
        }

        say("WRITTEN");
        await Console.In.ReadLineAsync();
        await vault.RefreshAsync();
        var secrets = await vault.Secrets.GetPropertiesOfSecretsAsync().CountAsync();
        var versions = await vault.Secrets.GetPropertiesOfSecretVersionsAsync("shared").CountAsync();
        var audit = await vault.VerifyAuditAsync();
        say($"SEES {secrets} {versions} {audit.IsIntact}");
        return 0;
    }
}
