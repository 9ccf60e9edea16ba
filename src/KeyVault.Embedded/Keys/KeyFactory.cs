using System.Buffers.Text;
using System.Security.Cryptography;
using KeyVault.Embedded.KeyHierarchy;
using KeyVault.Embedded.Keys.Cryptography;

namespace KeyVault.Embedded.Keys;

/// <summary>
/// Makes software keys: generates them, imports and validates JSON Web Keys, turns stored attributes and sealed
/// payloads back into <see cref="CryptoKey"/>s, and converts between JWKs and .NET key objects. The sealed payload
/// of an RSA or EC key is its PKCS#8 DER; of an oct key, its raw bytes.
/// </summary>
internal static class KeyFactory
{
    /// <summary>A new RSA, EC or oct key.</summary>
    public static NewKey Generate(KeyType family, int? size, KeyCurveName? curve, IReadOnlyList<string> operations)
    {
        if (family == KeyType.Rsa)
        {
            var bits = size ?? 2048;
            KeyTypes.ValidateSize(family, bits);
            using var rsa = RSA.Create(bits);
            return FromRsa(rsa, operations);
        }

        if (family == KeyType.Ec)
        {
            var crv = curve ?? KeyCurveName.P256;
            using var ecdsa = ECDsa.Create(Curves.ToEcCurve(crv));
            return FromEcdsa(ecdsa, crv, operations);
        }

        var octBits = size ?? 256;
        KeyTypes.ValidateSize(family, octBits);
        return new NewKey(
            new KeyAttributes { KeyType = KeyType.Oct.Value, Operations = operations, Size = octBits },
            KeyMaterial.PinnedRandom(octBits / 8));
    }

    /// <summary>Validates a JWK to import (it must hold its private or secret members) and prepares it for storage.</summary>
    public static NewKey Import(JsonWebKey jwk, IReadOnlyList<string> operations)
    {
        var family = KeyTypes.Family(jwk.KeyType);
        if (!jwk.HasPrivateKey)
        {
            throw VaultErrors.BadParameter("A key to import must include its private key (d) or, for oct keys, its key (k).");
        }

        if (family == KeyType.Rsa)
        {
            using var rsa = ToRsa(jwk, includePrivateParameters: true);
            KeyTypes.ValidateSize(family, rsa.KeySize);
            SelfTest(rsa);
            return FromRsa(rsa, operations);
        }

        if (family == KeyType.Ec)
        {
            using var ecdsa = ToEcdsa(jwk, includePrivateParameters: true);
            SelfTest(ecdsa);
            return FromEcdsa(ecdsa, Curves.Canonical(jwk.CurveName!.Value), operations);
        }

        var key = jwk.K ?? throw VaultErrors.BadParameter("An oct key needs its key member (k).");
        KeyTypes.ValidateSize(family, key.Length * 8);
        return new NewKey(new KeyAttributes { KeyType = KeyType.Oct.Value, Operations = operations, Size = key.Length * 8 }, KeyMaterial.PinnedCopy(key));
    }

    /// <summary>Loads a stored software key for use.</summary>
    public static CryptoKey Load(KeyAttributes attributes, ReadOnlySpan<byte> payload)
    {
        var family = KeyTypes.Family(attributes.KeyType);
        if (family == KeyType.Rsa)
        {
            return RsaCryptoKey.FromPkcs8(payload);
        }

        if (family == KeyType.Ec)
        {
            return EcCryptoKey.FromPkcs8(attributes.Curve!, payload);
        }

        return new AesCryptoKey(PinnedSecret.CopyOf(payload));
    }

    /// <summary>A key for local operations from a JWK: public operations only, unless it holds private members.</summary>
    public static CryptoKey FromJwk(JsonWebKey jwk)
    {
        var family = KeyTypes.Family(jwk.KeyType);
        if (family == KeyType.Rsa)
        {
            using (ToRsa(jwk, jwk.HasPrivateKey))
            {
                // Validates the members once, before any operation.
            }

            return new RsaCryptoKey(() => ToRsa(jwk, jwk.HasPrivateKey), jwk.HasPrivateKey, null);
        }

        if (family == KeyType.Ec)
        {
            using (ToEcdsa(jwk, jwk.HasPrivateKey))
            {
            }

            return new EcCryptoKey(Curves.Canonical(jwk.CurveName!.Value), () => ToEcdsa(jwk, jwk.HasPrivateKey), jwk.HasPrivateKey, null);
        }

        var key = jwk.K ?? throw VaultErrors.BadParameter("An oct key needs its key member (k) for local operations.");
        KeyTypes.ValidateSize(family, key.Length * 8);
        return new AesCryptoKey(PinnedSecret.CopyOf(key));
    }

    /// <summary>The public JWK of a stored key: n and e, or crv, x and y; for oct keys no material at all.</summary>
    public static JsonWebKey PublicJwk(KeyAttributes attributes, string? keyId) => new()
    {
        Id = keyId,
        KeyType = attributes.KeyType,
        KeyOps = attributes.Operations.Select(o => new KeyOperation(o)).ToList(),
        N = Decode(attributes.N),
        E = Decode(attributes.E),
        CurveName = attributes.Curve is null ? null : (KeyCurveName?)new KeyCurveName(attributes.Curve),
        X = Decode(attributes.X),
        Y = Decode(attributes.Y),
    };

    public static RSA ToRsa(JsonWebKey jwk, bool includePrivateParameters)
    {
        RequireFamily(jwk, KeyType.Rsa);
        if (jwk.N is null || jwk.E is null)
        {
            throw VaultErrors.BadParameter("An RSA key needs its modulus (n) and public exponent (e).");
        }

        // Big-endian integers: a JWK may carry leading zero bytes (Azure's SDK tests import such a key), OpenSSL wants
        // each member at its exact length; so n and e lose theirs, and the private members are fitted to n.
        var modulus = Fit(jwk.N, TrimmedLength(jwk.N)) ?? throw VaultErrors.BadParameter("An RSA key's modulus (n) is empty.");
        var parameters = new RSAParameters { Modulus = modulus, Exponent = Fit(jwk.E, Math.Max(1, TrimmedLength(jwk.E))) };
        var fitted = new List<byte[]>();
        try
        {
            if (includePrivateParameters)
            {
                if (jwk.D is null || jwk.P is null || jwk.Q is null || jwk.DP is null || jwk.DQ is null || jwk.QI is null)
                {
                    throw VaultErrors.BadParameter("An RSA private key needs all of d, p, q, dp, dq and qi.");
                }

                var half = (modulus.Length + 1) / 2;
                byte[] Member(string name, byte[] value, int length)
                {
                    if (TrimmedLength(value) == 0)
                    {
                        throw VaultErrors.BadParameter($"An RSA private key's member {name} is empty (or zero).");
                    }

                    var member = Fit(value, length) ?? throw VaultErrors.BadParameter(
                        $"An RSA private key's member {name} is too long: d is at most as long as n, and p, q, dp, dq and qi at most half as long.");
                    fitted.Add(member);
                    return member;
                }

                parameters.D = Member("d", jwk.D, modulus.Length);
                parameters.P = Member("p", jwk.P, half);
                parameters.Q = Member("q", jwk.Q, half);
                parameters.DP = Member("dp", jwk.DP, half);
                parameters.DQ = Member("dq", jwk.DQ, half);
                parameters.InverseQ = Member("qi", jwk.QI, half);
            }

            try
            {
                return RSA.Create(parameters);
            }
            catch (Exception ex) when (MalformedInput.Is(ex))
            {
                throw new VaultException(VaultErrorCode.BadParameter, 400, "The RSA key members are inconsistent or malformed.", ex);
            }
        }
        finally
        {
            foreach (var member in fitted)
            {
                CryptographicOperations.ZeroMemory(member);
            }
        }
    }

    /// <summary>How many bytes a big-endian integer takes without its leading zero bytes.</summary>
    private static int TrimmedLength(byte[] value)
    {
        var start = 0;
        while (start < value.Length && value[start] == 0)
        {
            start++;
        }

        return value.Length - start;
    }

    /// <summary>
    /// A big-endian integer at exactly <paramref name="length"/> bytes (leading zeros dropped or added), in a new array;
    /// null when it does not fit (or <paramref name="length"/> is 0).
    /// </summary>
    private static byte[]? Fit(byte[] value, int length)
    {
        var trimmed = TrimmedLength(value);
        if (length == 0 || trimmed > length)
        {
            return null;
        }

        var result = new byte[length];
        value.AsSpan(value.Length - trimmed).CopyTo(result.AsSpan(length - trimmed));
        return result;
    }

    public static ECDsa ToEcdsa(JsonWebKey jwk, bool includePrivateParameters)
    {
        RequireFamily(jwk, KeyType.Ec);
        if (jwk.CurveName is not { } named || Curves.Canonical(named) is var curve && !Curves.IsSupported(curve))
        {
            throw VaultErrors.BadParameter($"An EC key needs a supported curve (crv): P-256, P-256K (secp256k1), P-384 or P-521; got '{jwk.CurveName}'.");
        }

        var size = Curves.CoordinateSize(curve);
        if (jwk.X?.Length != size || jwk.Y?.Length != size || (includePrivateParameters && jwk.D?.Length != size))
        {
            throw VaultErrors.BadParameter($"An EC key on {curve} needs x, y{(includePrivateParameters ? " and d" : string.Empty)} of {size} bytes each.");
        }

        var parameters = new ECParameters
        {
            Curve = Curves.ToEcCurve(curve),
            Q = new ECPoint { X = jwk.X, Y = jwk.Y },
            D = includePrivateParameters ? jwk.D : null,
        };
        try
        {
            return ECDsa.Create(parameters);
        }
        catch (Exception ex) when (MalformedInput.Is(ex))
        {
            throw new VaultException(VaultErrorCode.BadParameter, 400, $"The EC key is not a valid point on {curve}, or its private key does not match it.", ex);
        }
    }

    public static Aes ToAes(JsonWebKey jwk)
    {
        RequireFamily(jwk, KeyType.Oct);
        var key = jwk.K ?? throw VaultErrors.BadParameter("An oct key needs its key member (k).");
        KeyTypes.ValidateSize(KeyType.Oct, key.Length * 8);
        var aes = Aes.Create();
        aes.Key = key;
        return aes;
    }

    public static NewKey FromRsa(RSA rsa, IReadOnlyList<string> operations)
    {
        var parameters = rsa.ExportParameters(includePrivateParameters: false);
        return new NewKey(
            new KeyAttributes
            {
                KeyType = KeyType.Rsa.Value,
                Operations = operations,
                Size = rsa.KeySize,
                N = Base64Url.EncodeToString(parameters.Modulus),
                E = Base64Url.EncodeToString(parameters.Exponent),
            },
            ExportPkcs8(rsa));
    }

    public static NewKey FromEcdsa(ECDsa ecdsa, KeyCurveName curve, IReadOnlyList<string> operations)
    {
        var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
        return new NewKey(
            new KeyAttributes
            {
                KeyType = KeyType.Ec.Value,
                Operations = operations,
                Curve = curve.Value,
                X = Base64Url.EncodeToString(parameters.Q.X),
                Y = Base64Url.EncodeToString(parameters.Q.Y),
            },
            ExportPkcs8(ecdsa));
    }

    private static byte[] ExportPkcs8(AsymmetricAlgorithm key)
    {
        var der = key.ExportPkcs8PrivateKey();
        try
        {
            return KeyMaterial.PinnedCopy(der);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    // An imported private key must match its public key: a round trip catches members that .NET accepts but that
    // do not belong together.
    private static void SelfTest(RSA rsa)
    {
        var digest = RandomNumberGenerator.GetBytes(32);
        using var publicOnly = RSA.Create(rsa.ExportParameters(false));
        if (!publicOnly.VerifyHash(digest, rsa.SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pss), HashAlgorithmName.SHA256, RSASignaturePadding.Pss))
        {
            throw VaultErrors.BadParameter("The RSA private key does not match its public key.");
        }
    }

    private static void SelfTest(ECDsa ecdsa)
    {
        var digest = RandomNumberGenerator.GetBytes(32);
        using var publicOnly = ECDsa.Create(ecdsa.ExportParameters(false));
        if (!publicOnly.VerifyHash(digest, ecdsa.SignHash(digest)))
        {
            throw VaultErrors.BadParameter("The EC private key does not match its public key.");
        }
    }

    private static void RequireFamily(JsonWebKey jwk, KeyType family)
    {
        if (KeyTypes.Family(jwk.KeyType) != family)
        {
            throw VaultErrors.BadParameter($"This is a {jwk.KeyType} key, not a {family} key.");
        }
    }

    private static byte[]? Decode(string? value) => value is null ? null : Base64Url.DecodeFromChars(value);
}

/// <summary>A generated or imported key ready to be stored: public attributes and the private payload (pinned, zeroed on dispose).</summary>
internal sealed class NewKey(KeyAttributes attributes, byte[] payload) : IDisposable
{
    public KeyAttributes Attributes { get; } = attributes;

    public ReadOnlyMemory<byte> Payload => payload;

    public void Dispose() => CryptographicOperations.ZeroMemory(payload);
}
