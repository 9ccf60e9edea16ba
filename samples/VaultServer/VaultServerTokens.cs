using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace KeyVault.Embedded.Samples.VaultServer;

/// <summary>
/// The operator's tokens, without Entra ID: an ECDSA P-256 key pair (the private half stays with whoever issues
/// tokens; the server holds only the public half) and ES256 JWTs naming the caller (<c>oid</c>), the audience and a
/// lifetime.
/// </summary>
public static class VaultServerTokens
{
    /// <summary>The issuer tokens carry unless told otherwise.</summary>
    public const string DefaultIssuer = "vault-server";

    /// <summary>Mints a token.</summary>
    /// <param name="signingKey">The operator's private key.</param>
    /// <param name="objectId">The caller's object id (role assignments name it).</param>
    /// <param name="audience">The server's challenge resource.</param>
    /// <param name="lifetime">How long it is valid.</param>
    /// <param name="name">A display name for the audit trail.</param>
    /// <param name="issuer">The issuer the server expects.</param>
    /// <returns>The JWT.</returns>
    public static string Create(ECDsa signingKey, string objectId, string audience, TimeSpan lifetime, string? name = null, string issuer = DefaultIssuer)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Subject = new ClaimsIdentity([new Claim("oid", objectId), new Claim("name", name ?? objectId)]),
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(signingKey), SecurityAlgorithms.EcdsaSha256),
        });
    }

    /// <summary><c>vault-server token</c>: prints a token.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var options = new ConfigurationBuilder().AddCommandLine(args, new Dictionary<string, string>
        {
            ["--signing-key"] = "SigningKey",
            ["--oid"] = "Oid",
            ["--name"] = "Name",
            ["--audience"] = "Audience",
            ["--issuer"] = "Issuer",
            ["--lifetime-minutes"] = "LifetimeMinutes",
        }).Build();
        if (options["SigningKey"] is not { } keyFile || options["Oid"] is not { } oid)
        {
            error.WriteLine("vault-server token: --signing-key PRIVATE.pem and --oid OBJECT-ID are required.");
            return 2;
        }

        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(keyFile));
        var lifetime = TimeSpan.FromMinutes(int.TryParse(options["LifetimeMinutes"], out var minutes) ? minutes : 60);
        output.WriteLine(Create(key, oid, options["Audience"] ?? "https://localhost", lifetime, options["Name"], options["Issuer"] ?? DefaultIssuer));
        return 0;
    }

    /// <summary><c>vault-server new-signing-key FILE</c>: writes FILE (private, 0600) and FILE's <c>.pub.pem</c> twin.</summary>
    public static int NewSigningKey(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length != 1)
        {
            error.WriteLine("vault-server new-signing-key: give the private key's path.");
            return 2;
        }

        var privatePath = Path.GetFullPath(args[0]);
        if (File.Exists(privatePath))
        {
            error.WriteLine($"vault-server new-signing-key: {privatePath} exists; nothing was written.");
            return 1;
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new StreamWriter(privatePath, System.Text.Encoding.ASCII, options))
        {
            file.Write(key.ExportPkcs8PrivateKeyPem());
        }

        var publicPath = Path.ChangeExtension(privatePath, null) + ".pub.pem";
        File.WriteAllText(publicPath, key.ExportSubjectPublicKeyInfoPem());
        output.WriteLine($"private key: {privatePath} (0600; keep it with whoever issues tokens)");
        output.WriteLine($"public key:  {publicPath} (give it to vault-server serve --token-key)");
        return 0;
    }
}
