// A child process for the vault's cross-process tests.
//   write <vault> <hex key> <first op>  : sets and deletes secrets in a loop, printing "SET i" / "DEL i" after each
//                                         call returns, until killed.
//   hold <vault> <hex key>              : opens the vault, prints "OPEN", keeps it open until stdin closes.
//   audit-write <vault> <hex key> <first> : with auditing on, sets a secret and reads it back in a loop, printing
//                                         "SET i" after each set returns, until killed.
//   group-write <vault> <hex key> <first> <writers> : with auditing on, <writers> concurrent tasks set secrets (their
//                                         commits grouped), each printing "SET i" after its set returns, until killed.
//   backup <vault> <hex key> <backup path> : backs the vault up to the path, printing "PROGRESS n" as records are
//                                         written and "DONE" when the backup is complete, then waits to be killed.
//   pg-write, pg-mixed                  : on a vault in PostgreSQL (PostgreSqlModes.cs).
//   hsm-sign <vault> <module> <token> <pin> <root label> <key> <hex digest>
//                                       : opens the vault under a PKCS#11 root, signs the digest with an EC-HSM key
//                                         (ES256), prints the signature in hex.
using System.Text;
using KeyVault.Embedded;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Pkcs11;

var mode = args[0];
if (mode.StartsWith("pg-", StringComparison.Ordinal))
{
    return await PostgreSqlModes.RunAsync(args);
}

if (mode == "hsm-sign")
{
    using var tokenRoot = new Pkcs11RootKey(new Pkcs11RootKeyOptions
    {
        ModulePath = args[2],
        TokenLabel = args[3],
        Pin = Encoding.UTF8.GetBytes(args[4]),
        KeyLabel = args[5],
    });
    await using var hsmVault = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = args[1], RootKey = tokenRoot });
    using var client = hsmVault.Keys.GetCryptographyClient(args[6]);
    Console.WriteLine(Convert.ToHexString(client.Sign(SignatureAlgorithm.ES256, Convert.FromHexString(args[7])).Signature));
    return 0;
}

using var root = SoftwareRootKey.FromBytes(Convert.FromHexString(args[2]));
await using var vault = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = args[1], RootKey = root, Audit = { Enabled = mode is "audit-write" or "group-write" } });
var stdout = Console.Out;

if (mode == "hold")
{
    stdout.WriteLine("OPEN");
    stdout.Flush();
    await Console.In.ReadToEndAsync();
    return 0;
}

if (mode == "backup")
{
    stdout.WriteLine("OPEN");
    stdout.Flush();
    await vault.BackupAsync(args[3], new LineProgress(stdout));
    stdout.WriteLine("DONE");
    stdout.Flush();
    await Console.In.ReadToEndAsync();
    return 0;
}

if (mode == "group-write")
{
    var first = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
    var writers = int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture);
    var gate = new object();
    await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
    {
        for (var i = first + (w * 100_000); ; i++)
        {
            await vault.Secrets.SetSecretAsync($"s{i}", $"value-{i}");
            lock (gate)
            {
                stdout.WriteLine($"SET {i}");
                stdout.Flush();
            }
        }
    })));
}

if (mode == "audit-write")
{
    for (var i = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture); ; i++)
    {
        await vault.Secrets.SetSecretAsync($"s{i}", $"value-{i}");
        stdout.WriteLine($"SET {i}");
        stdout.Flush();
        await vault.Secrets.GetSecretAsync($"s{i}");
    }
}

for (var i = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture); ; i++)
{
    if (i % 5 == 4)
    {
        await vault.Secrets.StartDeleteSecretAsync($"s{i - 1}");
        stdout.WriteLine($"DEL {i - 1}");
    }
    else
    {
        await vault.Secrets.SetSecretAsync($"s{i}", $"value-{i}");
        stdout.WriteLine($"SET {i}");
    }

    stdout.Flush();
}

/// <summary>Prints each report at once, on the backup's own thread.</summary>
internal sealed class LineProgress(TextWriter output) : IProgress<VaultProgress>
{
    public void Report(VaultProgress value)
    {
        output.WriteLine($"PROGRESS {value.Completed}");
        output.Flush();
    }
}
