using System.Security.Cryptography;
using System.Text.Json.Serialization;
using KeyVault.Embedded.Keys.Cryptography;

namespace KeyVault.Embedded.Keys;

/// <summary>
/// A JSON Web Key (RFC 7517, with the RSA, EC and oct members of RFC 7518). The vault returns keys with their public
/// members only (for oct keys, no material at all); a key to import carries its private members too.
/// </summary>
/// <remarks>
/// A key with private members is key material: keep it no longer than needed. <see cref="ToString"/> never shows
/// any member's value.
/// </remarks>
public sealed class JsonWebKey
{
    private static readonly KeyOperation[] RsaOperations =
        [KeyOperation.Encrypt, KeyOperation.Decrypt, KeyOperation.Sign, KeyOperation.Verify, KeyOperation.WrapKey, KeyOperation.UnwrapKey];

    private static readonly KeyOperation[] EcOperations = [KeyOperation.Sign, KeyOperation.Verify];

    private static readonly KeyOperation[] OctOperations = [KeyOperation.Encrypt, KeyOperation.Decrypt, KeyOperation.WrapKey, KeyOperation.UnwrapKey];

    private IList<KeyOperation> _keyOps = [];

    /// <summary>Creates an empty key (for deserialization, or to fill in member by member).</summary>
    public JsonWebKey()
    {
    }

    /// <summary>Creates an RSA key from a .NET <see cref="RSA"/> object.</summary>
    /// <param name="rsa">The key.</param>
    /// <param name="includePrivateParameters">Whether to copy the private members (needed to import the key).</param>
    /// <param name="keyOps">The operations allowed; by default every RSA operation.</param>
    public JsonWebKey(RSA rsa, bool includePrivateParameters = false, IEnumerable<KeyOperation>? keyOps = null)
    {
        ArgumentNullException.ThrowIfNull(rsa);
        var parameters = rsa.ExportParameters(includePrivateParameters);
        KeyType = KeyType.Rsa;
        N = parameters.Modulus;
        E = parameters.Exponent;
        D = parameters.D;
        P = parameters.P;
        Q = parameters.Q;
        DP = parameters.DP;
        DQ = parameters.DQ;
        QI = parameters.InverseQ;
        KeyOps = [.. keyOps ?? RsaOperations];
    }

    /// <summary>Creates an EC key from a .NET <see cref="ECDsa"/> object on P-256, P-256K, P-384 or P-521.</summary>
    /// <param name="ecdsa">The key.</param>
    /// <param name="includePrivateParameters">Whether to copy the private member <c>d</c> (needed to import the key).</param>
    /// <param name="keyOps">The operations allowed; by default sign and verify.</param>
    /// <exception cref="VaultException"><c>BadParameter</c> when the curve is not one of those four.</exception>
    public JsonWebKey(ECDsa ecdsa, bool includePrivateParameters = false, IEnumerable<KeyOperation>? keyOps = null)
    {
        ArgumentNullException.ThrowIfNull(ecdsa);
        var parameters = ecdsa.ExportParameters(includePrivateParameters);
        KeyType = KeyType.Ec;
        CurveName = Curves.FromOid(parameters.Curve.Oid);
        X = parameters.Q.X;
        Y = parameters.Q.Y;
        D = parameters.D;
        KeyOps = [.. keyOps ?? EcOperations];
    }

    /// <summary>Creates an oct (AES) key from a .NET <see cref="Aes"/> object. The key bytes are copied.</summary>
    /// <param name="aes">The key.</param>
    /// <param name="keyOps">The operations allowed; by default encrypt, decrypt, wrapKey and unwrapKey.</param>
    public JsonWebKey(Aes aes, IEnumerable<KeyOperation>? keyOps = null)
    {
        ArgumentNullException.ThrowIfNull(aes);
        KeyType = KeyType.Oct;
        K = aes.Key;
        KeyOps = [.. keyOps ?? OctOperations];
    }

    /// <summary>The key identifier (<c>kid</c>): for vault keys, the version's identifier.</summary>
    [JsonPropertyName("kid")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Id { get; set; }

    /// <summary>The key type (<c>kty</c>).</summary>
    [JsonPropertyName("kty")]
    [JsonConverter(typeof(JsonWebKeyConverters.KeyTypeName))]
    public KeyType KeyType { get; set; }

    /// <summary>The operations the key may be used for (<c>key_ops</c>).</summary>
    [JsonPropertyName("key_ops")]
    public IList<KeyOperation> KeyOps { get => _keyOps; set => _keyOps = value ?? []; }

    /// <summary>RSA modulus (<c>n</c>).</summary>
    [JsonPropertyName("n")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(JsonWebKeyConverters.Base64Url))]
    public byte[]? N { get; set; }

    /// <summary>RSA public exponent (<c>e</c>).</summary>
    [JsonPropertyName("e")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(JsonWebKeyConverters.Base64Url))]
    public byte[]? E { get; set; }

    /// <summary>RSA private exponent, or EC private key (<c>d</c>). Private.</summary>
    [JsonPropertyName("d")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(JsonWebKeyConverters.Base64Url))]
    public byte[]? D { get; set; }

    /// <summary>RSA first prime factor (<c>p</c>). Private.</summary>
    [JsonPropertyName("p")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(JsonWebKeyConverters.Base64Url))]
    public byte[]? P { get; set; }

    /// <summary>RSA second prime factor (<c>q</c>). Private.</summary>
    [JsonPropertyName("q")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(JsonWebKeyConverters.Base64Url))]
    public byte[]? Q { get; set; }

    /// <summary>RSA first factor CRT exponent (<c>dp</c>). Private.</summary>
    [JsonPropertyName("dp")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(JsonWebKeyConverters.Base64Url))]
    public byte[]? DP { get; set; }

    /// <summary>RSA second factor CRT exponent (<c>dq</c>). Private.</summary>
    [JsonPropertyName("dq")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(JsonWebKeyConverters.Base64Url))]
    public byte[]? DQ { get; set; }

    /// <summary>RSA first CRT coefficient (<c>qi</c>). Private.</summary>
    [JsonPropertyName("qi")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(JsonWebKeyConverters.Base64Url))]
    public byte[]? QI { get; set; }

    /// <summary>EC curve (<c>crv</c>).</summary>
    [JsonPropertyName("crv")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(JsonWebKeyConverters.CurveName))]
    public KeyCurveName? CurveName { get; set; }

    /// <summary>EC public point's x coordinate (<c>x</c>).</summary>
    [JsonPropertyName("x")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(JsonWebKeyConverters.Base64Url))]
    public byte[]? X { get; set; }

    /// <summary>EC public point's y coordinate (<c>y</c>).</summary>
    [JsonPropertyName("y")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(JsonWebKeyConverters.Base64Url))]
    public byte[]? Y { get; set; }

    /// <summary>Symmetric key (<c>k</c>). Secret.</summary>
    [JsonPropertyName("k")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    [JsonConverter(typeof(JsonWebKeyConverters.Base64Url))]
    public byte[]? K { get; set; }

    /// <summary>Whether the key holds private or secret material (<c>d</c> or <c>k</c>).</summary>
    [JsonIgnore]
    public bool HasPrivateKey => D is not null || K is not null;

    /// <summary>
    /// Reads a private key from PEM: PKCS#8 (<c>PRIVATE KEY</c>), <c>RSA PRIVATE KEY</c> or <c>EC PRIVATE KEY</c>.
    /// </summary>
    /// <param name="pem">The PEM text.</param>
    /// <param name="keyOps">The operations allowed; by default every operation of the key's type.</param>
    /// <returns>The key, with its private members.</returns>
    /// <exception cref="VaultException"><c>BadParameter</c> when the text holds no supported private key.</exception>
    public static JsonWebKey FromPem(ReadOnlySpan<char> pem, IEnumerable<KeyOperation>? keyOps = null)
    {
        var label = PemEncoding.TryFind(pem, out var fields) ? pem[fields.Label].ToString() : null;
        try
        {
            switch (label)
            {
                case "RSA PRIVATE KEY":
                {
                    using var rsa = RSA.Create();
                    rsa.ImportFromPem(pem);
                    return new JsonWebKey(rsa, includePrivateParameters: true, keyOps);
                }

                case "EC PRIVATE KEY":
                {
                    using var ec = ECDsa.Create();
                    ec.ImportFromPem(pem);
                    return new JsonWebKey(ec, includePrivateParameters: true, keyOps);
                }

                case "PRIVATE KEY":
                {
                    var der = new byte[fields.DecodedDataLength];
                    try
                    {
                        Convert.TryFromBase64Chars(pem[fields.Base64Data], der, out _);
                        return FromPkcs8(der, keyOps);
                    }
                    finally
                    {
                        CryptographicOperations.ZeroMemory(der);
                    }
                }
            }
        }
        catch (Exception ex) when (MalformedInput.Is(ex))
        {
            throw new VaultException(VaultErrorCode.BadParameter, 400, "The PEM private key is malformed or of an unsupported algorithm.", ex);
        }

        throw VaultErrors.BadParameter("The PEM text holds no private key: expected PRIVATE KEY (PKCS#8), RSA PRIVATE KEY or EC PRIVATE KEY.");
    }

    /// <summary>The key as a .NET <see cref="RSA"/> object.</summary>
    /// <param name="includePrivateParameters">Whether to include the private key (it must be present).</param>
    /// <returns>A new RSA object; the caller disposes it.</returns>
    public RSA ToRSA(bool includePrivateParameters = false) => KeyFactory.ToRsa(this, includePrivateParameters);

    /// <summary>The key as a .NET <see cref="ECDsa"/> object.</summary>
    /// <param name="includePrivateParameters">Whether to include the private key (it must be present).</param>
    /// <returns>A new ECDsa object; the caller disposes it.</returns>
    public ECDsa ToECDsa(bool includePrivateParameters = false) => KeyFactory.ToEcdsa(this, includePrivateParameters);

    /// <summary>The oct key as a .NET <see cref="Aes"/> object.</summary>
    /// <returns>A new Aes object; the caller disposes it.</returns>
    public Aes ToAes() => KeyFactory.ToAes(this);

    /// <summary>Type, id and whether private material is present; never a member's value.</summary>
    public override string ToString() =>
        $"JsonWebKey {{ kty = {KeyType}, kid = {Id}, crv = {CurveName}, private = {(HasPrivateKey ? "yes" : "no")} }}";

    internal static JsonWebKey FromPkcs8(ReadOnlySpan<byte> der, IEnumerable<KeyOperation>? keyOps)
    {
        try
        {
            using var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(der, out _);
            return new JsonWebKey(rsa, includePrivateParameters: true, keyOps);
        }
        catch (Exception ex) when (MalformedInput.Is(ex))
        {
            using var ec = ECDsa.Create();
            ec.ImportPkcs8PrivateKey(der, out _);
            return new JsonWebKey(ec, includePrivateParameters: true, keyOps);
        }
    }

    internal static IReadOnlyList<KeyOperation> DefaultOperations(KeyType family) =>
        family == KeyType.Rsa ? RsaOperations : family == KeyType.Ec ? EcOperations : OctOperations;

    /// <summary>Zeroes the private members this object holds (used on copies the vault made).</summary>
    internal void ClearPrivate()
    {
        foreach (var member in new[] { D, P, Q, DP, DQ, QI, K })
        {
            if (member is not null)
            {
                CryptographicOperations.ZeroMemory(member);
            }
        }
    }
}
