// KeyVault.Embedded quick start: a vault in a local folder, with a software root key.
//
// The root key comes from the KEYVAULT_EMBEDDED_ROOT_KEY environment variable (64 hex characters or base64 of
// 32 bytes). Without it, a development key file is generated next to (not inside) the vault file, with a warning:
// a real deployment keeps the root key somewhere else (a secret mount, a TPM or HSM through PKCS#11).
using KeyVault.Embedded;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Secrets;

// A fresh folder per run (or the one given), so that a run never meets a vault an earlier run left under another key.
var folder = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), $"keyvault-embedded-quickstart-{Guid.NewGuid():N}");
Directory.CreateDirectory(folder);
Console.WriteLine($"Vault folder: {folder}");

SoftwareRootKey root;
if (Environment.GetEnvironmentVariable("KEYVAULT_EMBEDDED_ROOT_KEY") is { Length: > 0 })
{
    root = SoftwareRootKey.FromEnvironmentVariable("KEYVAULT_EMBEDDED_ROOT_KEY");
}
else
{
    var keyFile = Path.Combine(folder, "development-root.key");
    if (!File.Exists(keyFile))
    {
        SoftwareRootKey.CreateKeyFile(keyFile);
    }

    Console.WriteLine($"WARNING: using a generated development root key at {keyFile}.");
    Console.WriteLine("         Set KEYVAULT_EMBEDDED_ROOT_KEY (or use a PKCS#11 token) for anything real.");
    root = SoftwareRootKey.FromFile(keyFile);
}

using (root)
{
    await using var vault = await EmbeddedVault.OpenAsync(new EmbeddedVaultOptions
    {
        Path = Path.Combine(folder, "vault.db"),
        RootKey = root,
    });
    Console.WriteLine($"Opened {vault.Properties}");

    ISecretStore secrets = vault.Secrets;

    // Each set makes a new immutable version that becomes current.
    var first = await secrets.SetSecretAsync("ConnectionStrings--Orders", "Server=db;Database=orders;Password=first");
    var second = await secrets.SetSecretAsync("ConnectionStrings--Orders", "Server=db;Database=orders;Password=second");
    var current = await secrets.GetSecretAsync("connectionstrings--orders"); // names are case-insensitive
    Console.WriteLine($"Current version {current.Properties.Version} has {current.Value.Length} characters (not printed).");

    await foreach (var version in secrets.GetPropertiesOfSecretVersionsAsync("ConnectionStrings--Orders"))
    {
        Console.WriteLine($"  version {version.Version} created {version.CreatedOn:u} enabled={version.Enabled}");
    }

    // A disabled version cannot be read.
    await secrets.UpdateSecretPropertiesAsync(new SecretProperties("ConnectionStrings--Orders") { Enabled = false });
    try
    {
        await secrets.GetSecretAsync("ConnectionStrings--Orders");
    }
    catch (VaultException ex) when (ex.ErrorCode == VaultErrorCode.SecretDisabled)
    {
        Console.WriteLine($"Disabled: {ex.Message}");
    }

    await secrets.UpdateSecretPropertiesAsync(new SecretProperties("ConnectionStrings--Orders") { Enabled = true });
    var old = await secrets.GetSecretAsync("ConnectionStrings--Orders", first.Properties.Version);
    Console.WriteLine($"The first version is still readable by its id: {old.Properties.Version == first.Properties.Version}");

    // Soft delete, then recover every version.
    var deleteOperation = await secrets.StartDeleteSecretAsync("ConnectionStrings--Orders");
    var deleted = await deleteOperation.WaitForCompletionAsync(); // done already: in-process, a delete completes at once
    Console.WriteLine($"Deleted; recoverable until {deleted.ScheduledPurgeDate:u}");
    await secrets.StartRecoverDeletedSecretAsync("ConnectionStrings--Orders");
    var recovered = await secrets.GetSecretAsync("ConnectionStrings--Orders");
    Console.WriteLine($"Recovered: current version is {(recovered.Properties.Version == second.Properties.Version ? "the second" : "unexpected")}");

    // Keys: the private key stays in the vault; a cryptography client signs with it, the public JWK verifies.
    KeyVaultKey key;
    try
    {
        key = await vault.Keys.GetKeyAsync("signing");
    }
    catch (VaultObjectNotFoundException)
    {
        key = await vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("signing") { CurveName = KeyCurveName.P256 });
    }

    using var crypto = vault.Keys.GetCryptographyClient("signing");
    var payload = "release-1.2.3.tar.gz digest"u8.ToArray();
    var signature = await crypto.SignDataAsync(SignatureAlgorithm.ES256, payload);
    using var verifier = new CryptographyClient(key.Key);
    Console.WriteLine($"Signed with {key.KeyType} key {key.Properties.Version}; verified with the public key alone: {verifier.VerifyData(SignatureAlgorithm.ES256, payload, signature.Signature).IsValid}");
}
