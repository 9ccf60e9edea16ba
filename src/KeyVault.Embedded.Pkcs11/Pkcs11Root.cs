using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text;
using KeyVault.Embedded.KeyHierarchy;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Pkcs11.Keys;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyVault.Embedded.Pkcs11;

/// <summary>
/// An opened PKCS#11 root: wraps and unwraps key-encryption keys with the token's AES root key, and makes, loads and
/// destroys the vault's token-resident (-HSM) keys.
/// </summary>
internal sealed class Pkcs11Root : IRootKey, IHardwareKeys, Integrity.IRollbackAnchorSource
{
    private readonly Pkcs11Token _token;
    private readonly IObjectHandle _rootKey;
    private readonly bool _anchor;

    public Pkcs11Root(Pkcs11Token token, IObjectHandle rootKey, IReadOnlyDictionary<string, string> parameters, bool anchor)
    {
        _token = token;
        _rootKey = rootKey;
        _anchor = anchor;
        Parameters = parameters;
    }

    public IReadOnlyDictionary<string, string> Parameters { get; }

    public string TokenIdentity => _token.Serial;

    public ValueTask<byte[]> WrapKeyAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_token.Run("wrapping a key-encryption key", session => Pkcs11Token.WrapBytes(session, _rootKey, key.Span)));

    public ValueTask<byte[]> UnwrapKeyAsync(ReadOnlyMemory<byte> wrappedKey, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_token.Run("unwrapping a key-encryption key", session => Pkcs11Token.UnwrapBytes(session, _rootKey, wrappedKey.ToArray())));

    public Integrity.IRollbackAnchor? OpenAnchor(Guid vaultId) => _anchor ? new Pkcs11TokenAnchor(_token, vaultId) : null;

    public ValueTask<byte[]> DeriveKeyAsync(ReadOnlyMemory<byte> context, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(RootBinding.FromWrap(SHA256.HashData(context.Span), digest =>
            _token.Run("deriving the vault's binding key", session => Pkcs11Token.WrapBytes(session, _rootKey, digest))));

    public NewKey Generate(KeyType family, int? size, KeyCurveName? curve, IReadOnlyList<string> operations, string label, byte[] id)
    {
        var reference = $"{_token.Serial}:{Convert.ToHexString(id)}";
        var attributes = family == KeyType.Rsa ? GenerateRsa(size ?? 2048, operations, label, id, reference)
            : family == KeyType.Ec ? GenerateEc(curve ?? KeyCurveName.P256, operations, label, id, reference)
            : GenerateAes(size ?? 256, operations, label, id, reference);
        return new NewKey(attributes, KeyMaterial.PinnedCopy(Encoding.UTF8.GetBytes(reference)));
    }

    public CryptoKey Load(KeyAttributes attributes)
    {
        var id = Id(attributes);
        var family = KeyTypes.Family(attributes.KeyType);
        var handle = _token.Run("finding a key", session => session.FindAllObjects(
        [
            Pkcs11Token.Attribute(CKA.CKA_CLASS, family == KeyType.Oct ? CKO.CKO_SECRET_KEY : CKO.CKO_PRIVATE_KEY),
            Pkcs11Token.Attribute(CKA.CKA_ID, id),
        ]).SingleOrDefault()) ?? throw Pkcs11Errors.ObjectMissing(_token.Label, attributes.HsmReference!);

        if (family == KeyType.Oct)
        {
            return new Pkcs11AesKey(_token, handle, attributes.Size ?? 256);
        }

        var publicKey = KeyFactory.FromJwk(KeyFactory.PublicJwk(attributes, null));
        return family == KeyType.Rsa
            ? new Pkcs11RsaKey(_token, handle, publicKey)
            : new Pkcs11EcKey(_token, handle, (EcCryptoKey)publicKey);
    }

    public void Destroy(KeyAttributes attributes, string label)
    {
        var id = Id(attributes);
        CKO[] classes = KeyTypes.Family(attributes.KeyType) == KeyType.Oct ? [CKO.CKO_SECRET_KEY] : [CKO.CKO_PRIVATE_KEY, CKO.CKO_PUBLIC_KEY];
        _token.Run("destroying a purged key", session =>
        {
            foreach (var keyClass in classes)
            {
                foreach (var handle in session.FindAllObjects([Pkcs11Token.Attribute(CKA.CKA_CLASS, keyClass), Pkcs11Token.Attribute(CKA.CKA_ID, id)]))
                {
                    // The label names the vault, object and version: an object another vault (or anyone) made with the
                    // same id is never touched.
                    var stored = session.GetAttributeValue(handle, [CKA.CKA_LABEL])[0].GetValueAsString();
                    if (string.Equals(stored?.TrimEnd('\0'), label, StringComparison.OrdinalIgnoreCase))
                    {
                        session.DestroyObject(handle);
                    }
                }
            }

            return true;
        });
    }

    /// <remarks>
    /// Opens the key through OpenSSL's pkcs11 engine (libp11), by an RFC 7512 URI naming the token's serial number and
    /// the key's id. The engine loads the module through p11-kit into this process, where the vault's logged-in
    /// session already holds the token's login (PKCS#11 logins belong to the application), so no PIN is passed: the key
    /// works while the vault is open. The opened key must have the stored public key, or it is refused.
    /// </remarks>
    public AsymmetricAlgorithm OpenNativeKey(KeyAttributes attributes)
    {
        var family = KeyTypes.Family(attributes.KeyType);
        if (family == KeyType.Oct)
        {
            throw VaultErrors.BadParameter("An oct key has no OpenSSL private key form.");
        }

        if (OperatingSystem.IsWindows())
        {
            throw Pkcs11Errors.NativeKeyUnavailable(_token.Label, "OpenSSL engines are not available on Windows");
        }

        var id = Id(attributes);
        _ = _token.Run("finding a key", session => session.FindAllObjects(
        [
            Pkcs11Token.Attribute(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY),
            Pkcs11Token.Attribute(CKA.CKA_ID, id),
        ]).SingleOrDefault()) ?? throw Pkcs11Errors.ObjectMissing(_token.Label, attributes.HsmReference!);

        var uri = $"pkcs11:serial={Uri.EscapeDataString(_token.Serial)};id={string.Concat(id.Select(b => $"%{b:X2}"))};type=private";
        AsymmetricAlgorithm key;
        try
        {
            using var handle = SafeEvpPKeyHandle.OpenPrivateKeyFromEngine("pkcs11", uri);
            key = family == KeyType.Rsa ? new RSAOpenSsl(handle) : new ECDsaOpenSsl(handle);
        }
        catch (CryptographicException ex)
        {
            throw Pkcs11Errors.NativeKeyUnavailable(_token.Label, "OpenSSL could not load it", ex);
        }

        var jwk = KeyFactory.PublicJwk(attributes, null);
        using AsymmetricAlgorithm expected = family == KeyType.Rsa ? jwk.ToRSA() : jwk.ToECDsa();
        if (!key.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(expected.ExportSubjectPublicKeyInfo()))
        {
            key.Dispose();
            throw Pkcs11Errors.NativeKeyUnavailable(_token.Label, "the key OpenSSL opened is not the vault's key");
        }

        return key;
    }

    public void Dispose() => _token.Dispose();

    /// <summary>The token object id (CKA_ID) of a stored reference <c>{serial}:{hex id}</c>.</summary>
    /// <exception cref="VaultIntegrityException">The reference is malformed or empty (an empty id would match every object without one).</exception>
    private byte[] Id(KeyAttributes attributes)
    {
        var reference = attributes.HsmReference ?? throw new VaultIntegrityException("A token key's record has no token reference.");
        var colon = reference.LastIndexOf(':');
        if (colon < 0 || reference[..colon] != _token.Serial)
        {
            throw Pkcs11Errors.ObjectMissing(_token.Label, reference);
        }

        byte[] id;
        try
        {
            id = Convert.FromHexString(reference[(colon + 1)..]);
        }
        catch (FormatException ex)
        {
            throw new VaultIntegrityException("A token key's reference is malformed.", ex);
        }

        return id.Length == 16 ? id : throw new VaultIntegrityException("A token key's reference does not name a 16-byte object id.");
    }

    private KeyAttributes GenerateRsa(int size, IReadOnlyList<string> operations, string label, byte[] id, string reference)
    {
        KeyTypes.ValidateSize(KeyType.Rsa, size);
        _token.Require(CKM.CKM_RSA_PKCS_KEY_PAIR_GEN, "an RSA-HSM key");
        var (modulus, exponent) = _token.Run("RSA key generation", session =>
        {
            session.GenerateKeyPair(
                Pkcs11Token.Mechanism(CKM.CKM_RSA_PKCS_KEY_PAIR_GEN),
                [
                    .. PublicTemplate(label, id),
                    Pkcs11Token.Attribute(CKA.CKA_MODULUS_BITS, (ulong)size),
                    Pkcs11Token.Attribute(CKA.CKA_PUBLIC_EXPONENT, new byte[] { 1, 0, 1 }),
                    Pkcs11Token.Attribute(CKA.CKA_ENCRYPT, true),
                    Pkcs11Token.Attribute(CKA.CKA_WRAP, true),
                ],
                [
                    .. PrivateTemplate(label, id),
                    Pkcs11Token.Attribute(CKA.CKA_DECRYPT, true),
                    Pkcs11Token.Attribute(CKA.CKA_UNWRAP, true),
                ],
                out var publicKey,
                out _);
            var values = session.GetAttributeValue(publicKey, [CKA.CKA_MODULUS, CKA.CKA_PUBLIC_EXPONENT]);
            return (values[0].GetValueAsByteArray(), values[1].GetValueAsByteArray());
        });
        return new KeyAttributes
        {
            KeyType = KeyType.RsaHsm.Value,
            Operations = operations,
            Size = size,
            N = System.Buffers.Text.Base64Url.EncodeToString(modulus),
            E = System.Buffers.Text.Base64Url.EncodeToString(exponent),
            HsmReference = reference,
        };
    }

    private KeyAttributes GenerateEc(KeyCurveName curve, IReadOnlyList<string> operations, string label, byte[] id, string reference)
    {
        _token.Require(CKM.CKM_EC_KEY_PAIR_GEN, "an EC-HSM key");
        var parameters = Curves.ToEcCurve(curve).Oid.Value!;
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteObjectIdentifier(parameters);
        var ecParameters = writer.Encode();
        var point = _token.Run("EC key generation", session =>
        {
            try
            {
                session.GenerateKeyPair(Pkcs11Token.Mechanism(CKM.CKM_EC_KEY_PAIR_GEN), [.. PublicTemplate(label, id), Pkcs11Token.Attribute(CKA.CKA_EC_PARAMS, ecParameters)], PrivateTemplate(label, id), out var publicKey, out _);
                return session.GetAttributeValue(publicKey, [CKA.CKA_EC_POINT])[0].GetValueAsByteArray();
            }
            catch (Pkcs11Exception ex) when (ex.RV is CKR.CKR_CURVE_NOT_SUPPORTED or CKR.CKR_DOMAIN_PARAMS_INVALID or CKR.CKR_TEMPLATE_INCONSISTENT or CKR.CKR_ATTRIBUTE_VALUE_INVALID)
            {
                throw Pkcs11Errors.MechanismNotSupported(_token.Label, $"CKM_EC_KEY_PAIR_GEN on curve {curve}", "an EC-HSM key on that curve");
            }
        });

        // CKA_EC_POINT is a DER OCTET STRING holding the uncompressed point 04 || X || Y.
        var uncompressed = new AsnReader(point, AsnEncodingRules.DER).ReadOctetString();
        var size = Curves.CoordinateSize(curve);
        if (uncompressed.Length != 1 + (2 * size) || uncompressed[0] != 4)
        {
            throw Pkcs11Errors.MechanismNotSupported(_token.Label, "uncompressed EC points", "reading the public key of an EC-HSM key");
        }

        return new KeyAttributes
        {
            KeyType = KeyType.EcHsm.Value,
            Operations = operations,
            Curve = curve.Value,
            X = System.Buffers.Text.Base64Url.EncodeToString(uncompressed.AsSpan(1, size)),
            Y = System.Buffers.Text.Base64Url.EncodeToString(uncompressed.AsSpan(1 + size, size)),
            HsmReference = reference,
        };
    }

    private KeyAttributes GenerateAes(int size, IReadOnlyList<string> operations, string label, byte[] id, string reference)
    {
        KeyTypes.ValidateSize(KeyType.Oct, size);
        _token.Require(CKM.CKM_AES_KEY_GEN, "an oct-HSM key");
        var range = _token.Slot.GetMechanismInfo(CKM.CKM_AES_KEY_GEN);
        if ((ulong)(size / 8) < range.MinKeySize || (ulong)(size / 8) > range.MaxKeySize)
        {
            throw Pkcs11Errors.MechanismNotSupported(_token.Label, $"CKM_AES_KEY_GEN of {size} bits", "that oct-HSM key size");
        }

        _token.Run("AES key generation", session => session.GenerateKey(Pkcs11Token.Mechanism(CKM.CKM_AES_KEY_GEN),
        [
            .. PrivateTemplate(label, id),
            Pkcs11Token.Attribute(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            Pkcs11Token.Attribute(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
            Pkcs11Token.Attribute(CKA.CKA_VALUE_LEN, (ulong)(size / 8)),
            Pkcs11Token.Attribute(CKA.CKA_ENCRYPT, true),
            Pkcs11Token.Attribute(CKA.CKA_DECRYPT, true),
            Pkcs11Token.Attribute(CKA.CKA_WRAP, true),
            Pkcs11Token.Attribute(CKA.CKA_UNWRAP, true),
        ]));
        return new KeyAttributes { KeyType = KeyType.OctHsm.Value, Operations = operations, Size = size, HsmReference = reference };
    }

    private static List<IObjectAttribute> PublicTemplate(string label, byte[] id) =>
    [
        Pkcs11Token.Attribute(CKA.CKA_TOKEN, true),
        Pkcs11Token.Attribute(CKA.CKA_PRIVATE, false),
        Pkcs11Token.Attribute(CKA.CKA_VERIFY, true),
        Pkcs11Token.Attribute(CKA.CKA_LABEL, label),
        Pkcs11Token.Attribute(CKA.CKA_ID, id),
    ];

    // The vault's key_ops decide what a key may do (and can change); the token object allows what its type can do.
    private static List<IObjectAttribute> PrivateTemplate(string label, byte[] id) =>
    [
        Pkcs11Token.Attribute(CKA.CKA_TOKEN, true),
        Pkcs11Token.Attribute(CKA.CKA_PRIVATE, true),
        Pkcs11Token.Attribute(CKA.CKA_SENSITIVE, true),
        Pkcs11Token.Attribute(CKA.CKA_EXTRACTABLE, false),
        Pkcs11Token.Attribute(CKA.CKA_SIGN, true),
        Pkcs11Token.Attribute(CKA.CKA_LABEL, label),
        Pkcs11Token.Attribute(CKA.CKA_ID, id),
    ];
}
