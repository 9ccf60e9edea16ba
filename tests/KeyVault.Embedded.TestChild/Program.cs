// A child process for the vault's cross-process tests.
//   write <vault> <hex key> <first op>  : sets and deletes secrets in a loop, printing "SET i" / "DEL i" after each
//                                         call returns, until killed.
//   hold <vault> <hex key>              : opens the vault, prints "OPEN", keeps it open until stdin closes.
using KeyVault.Embedded;

var mode = args[0];
using var root = SoftwareRootKey.FromBytes(Convert.FromHexString(args[2]));
await using var vault = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions { Path = args[1], RootKey = root });
var stdout = Console.Out;

if (mode == "hold")
{
    stdout.WriteLine("OPEN");
    stdout.Flush();
    await Console.In.ReadToEndAsync();
    return 0;
}

for (var i = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture); ; i++)
{
    if (i % 5 == 4)
    {
        await vault.Secrets.DeleteSecretAsync($"s{i - 1}");
        stdout.WriteLine($"DEL {i - 1}");
    }
    else
    {
        await vault.Secrets.SetSecretAsync($"s{i}", $"value-{i}");
        stdout.WriteLine($"SET {i}");
    }

    stdout.Flush();
}
