// KeyVault.Embedded in a trimmed or native-AOT console app: publish-and-run.sh publishes it both ways and runs both.
//
// Usage: AotConsole <folder>   (the folder is created if missing; use a fresh one: the root key is made there)
// Opens a vault with a software root key, sets a secret and reads it back, reopens the vault and reads it again,
// creates an EC P-256 key and signs and verifies with it. Exits 0 only if every step did what it should.
using System.Security.Cryptography;
using KeyVault.Embedded;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: AotConsole <folder>");
    return 2;
}

try
{
    var folder = Path.GetFullPath(args[0]);
    Directory.CreateDirectory(folder);
    var keyFile = Path.Combine(folder, "root.key");
    if (!File.Exists(keyFile))
    {
        SoftwareRootKey.CreateKeyFile(keyFile);
    }

    var options = new EmbeddedVaultOptions { Path = Path.Combine(folder, "vault.db") };
    const string secretName = "ConnectionStrings--Orders";
    var secretValue = $"Server=db;Password={Convert.ToHexString(RandomNumberGenerator.GetBytes(16))}";

    using var root = SoftwareRootKey.FromFile(keyFile);
    options.RootKey = root;
    string? version;
    await using (var vault = await EmbeddedVault.OpenAsync(options))
    {
        var set = await vault.Secrets.SetSecretAsync(secretName, secretValue);
        var read = await vault.Secrets.GetSecretAsync(secretName.ToLowerInvariant());
        Check(read.Value == secretValue, "the secret read back differs from the one set");
        Check(read.Properties.Version == set.Properties.Version, "the secret read back is not the version just set");
        version = set.Properties.Version;
        Console.WriteLine($"secret: set and read back version {version}");
    }

    // Reopened: the secret comes from the file, not from the cache of the first open.
    await using (var vault = await EmbeddedVault.OpenAsync(options))
    {
        var read = await vault.Secrets.GetSecretAsync(secretName);
        Check(read.Value == secretValue && read.Properties.Version == version, "the secret read after reopening differs");
        Console.WriteLine("secret: read back after reopening");

        var key = await vault.Keys.CreateEcKeyAsync(new CreateEcKeyOptions("signing") { CurveName = KeyCurveName.P256 });
        Check(key.KeyType == KeyType.Ec, $"the key is {key.KeyType}, not EC");
        var digest = SHA256.HashData("release-1.2.3.tar.gz"u8);
        using var crypto = vault.Keys.GetCryptographyClient("signing");
        var signature = await crypto.SignAsync(SignatureAlgorithm.ES256, digest);
        Check(signature.Signature.Length == 64, $"an ES256 signature has {signature.Signature.Length} bytes, not 64");
        Check((await crypto.VerifyAsync(SignatureAlgorithm.ES256, digest, signature.Signature)).IsValid, "the signature does not verify");
        var tampered = (byte[])digest.Clone();
        tampered[0] ^= 1;
        Check(!(await crypto.VerifyAsync(SignatureAlgorithm.ES256, tampered, signature.Signature)).IsValid, "the signature verifies over another digest");
        Console.WriteLine($"key: EC P-256 {key.Properties.Version} signed and verified (ES256)");

        // The public JWK as JSON through the generated metadata (reflection-based serialization is off here).
        var json = System.Text.Json.JsonSerializer.Serialize(key.Key, JsonWebKeyJsonContext.Default.JsonWebKey);
        var parsed = System.Text.Json.JsonSerializer.Deserialize(json, JsonWebKeyJsonContext.Default.JsonWebKey);
        Check(parsed is not null && parsed.X!.AsSpan().SequenceEqual(key.Key.X) && json.Contains("\"key_ops\":[\"sign\",\"verify\"]", StringComparison.Ordinal), $"the JWK JSON does not round-trip: {json}");
        Console.WriteLine("key: public JWK written and read as RFC 7517 JSON");
    }

    Console.WriteLine("OK");
    return 0;
}
catch (Exception ex)
{
    Console.Error.WriteLine($"FAILED: {ex}");
    return 1;
}

static void Check(bool condition, string failure)
{
    if (!condition)
    {
        throw new InvalidOperationException(failure);
    }
}
