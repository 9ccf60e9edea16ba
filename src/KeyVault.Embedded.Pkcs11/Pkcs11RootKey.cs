using System.Security.Cryptography;
using KeyVault.Embedded.Keys;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyVault.Embedded.Pkcs11;

/// <summary>
/// A root of trust in a PKCS#11 token (an HSM, a TPM through tpm2-pkcs11, SoftHSMv2): an AES-256 key that is sensitive
/// and non-extractable wraps the vault's key-encryption keys with <c>CKM_AES_KEY_WRAP</c> (RFC 3394, byte for byte the
/// software root's format). A vault under this root can also hold <c>RSA-HSM</c>, <c>EC-HSM</c> and <c>oct-HSM</c> keys,
/// generated in the same token and used only there.
/// </summary>
/// <remarks>
/// Errors (the vault files are never changed by a failed open): <see cref="Pkcs11ErrorCodes.ModuleNotFound"/>,
/// <see cref="Pkcs11ErrorCodes.TokenNotFound"/>, <see cref="Pkcs11ErrorCodes.PinIncorrect"/>,
/// <see cref="Pkcs11ErrorCodes.RootKeyNotFound"/>, <see cref="Pkcs11ErrorCodes.RootKeyAmbiguous"/>,
/// <see cref="Pkcs11ErrorCodes.RootKeyExtractable"/>; <c>RootKeyMismatch</c> when the key does not unwrap the vault's keys.
/// </remarks>
public sealed class Pkcs11RootKey : IRootKeyProvider, IDisposable
{
    /// <summary>The <see cref="IRootKeyProvider.Kind"/> of a PKCS#11 root.</summary>
    public const string RootKind = "pkcs11";

    private readonly Pkcs11RootKeyOptions _options;
    private byte[]? _pin;

    /// <summary>Creates the provider; the PIN is copied (into pinned memory zeroed on dispose).</summary>
    /// <param name="options">Module, token, PIN and key.</param>
    /// <exception cref="VaultException"><c>BadParameter</c> naming a missing or conflicting option.</exception>
    public Pkcs11RootKey(Pkcs11RootKeyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        _options = new Pkcs11RootKeyOptions
        {
            ModulePath = options.ModulePath,
            TokenLabel = options.TokenLabel,
            SlotId = options.SlotId,
            KeyLabel = options.KeyLabel,
            KeyId = options.KeyId?.ToArray(),
            UseTokenAnchor = options.UseTokenAnchor,
        };
        _pin = GC.AllocateUninitializedArray<byte>(options.Pin!.Length, pinned: true);
        options.Pin.CopyTo(_pin, 0);
    }

    /// <inheritdoc />
    public string Kind => RootKind;

    /// <summary>
    /// Generates the root key in the token: AES-256, sensitive, non-extractable, allowed only to wrap and unwrap, with
    /// the options' label or id. Refuses to make a second key with the same label or id.
    /// </summary>
    /// <param name="options">Module, token, PIN and the new key's label or id.</param>
    /// <exception cref="VaultException"><see cref="Pkcs11ErrorCodes.RootKeyAmbiguous"/> when such a key exists already.</exception>
    public static void CreateRootKey(Pkcs11RootKeyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        using var token = Pkcs11Token.Open(options.ModulePath, options.TokenLabel, options.SlotId, options.Pin);
        token.Require(CKM.CKM_AES_KEY_GEN, "a root key");
        token.Run("root key generation", session =>
        {
            var existing = session.FindAllObjects(KeyTemplate(options));
            if (existing.Count > 0)
            {
                throw Pkcs11Errors.RootKeyLabelTaken(token.Label, Describe(options), existing.Count);
            }

            return session.GenerateKey(Pkcs11Token.Mechanism(CKM.CKM_AES_KEY_GEN),
            [
                .. KeyTemplate(options),
                Pkcs11Token.Attribute(CKA.CKA_VALUE_LEN, 32ul),
                Pkcs11Token.Attribute(CKA.CKA_TOKEN, true),
                Pkcs11Token.Attribute(CKA.CKA_PRIVATE, true),
                Pkcs11Token.Attribute(CKA.CKA_SENSITIVE, true),
                Pkcs11Token.Attribute(CKA.CKA_EXTRACTABLE, false),
                Pkcs11Token.Attribute(CKA.CKA_WRAP, true),
                Pkcs11Token.Attribute(CKA.CKA_UNWRAP, true),
                Pkcs11Token.Attribute(CKA.CKA_ENCRYPT, false),
                Pkcs11Token.Attribute(CKA.CKA_DECRYPT, false),
            ]);
        });
    }

    /// <summary>
    /// Destroys the root key this provider names when exactly one key matches: for the kv tool, which generated it for a
    /// vault that then was not created, so that it wraps nothing. Never for a key a vault may use.
    /// </summary>
    /// <returns>Whether a key was destroyed.</returns>
    internal bool DestroyUnusedRootKey()
    {
        ObjectDisposedException.ThrowIf(_pin is null, this);
        using var token = Pkcs11Token.Open(_options.ModulePath, _options.TokenLabel, _options.SlotId, _pin);
        return token.Run("removal of an unused root key", session =>
        {
            var found = session.FindAllObjects(KeyTemplate(_options));
            if (found.Count != 1)
            {
                return false;
            }

            session.DestroyObject(found[0]);
            return true;
        });
    }

    /// <inheritdoc />
    public ValueTask<IRootKey> OpenAsync(RootKeyContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ObjectDisposedException.ThrowIf(_pin is null, this);
        cancellationToken.ThrowIfCancellationRequested();
        var token = Pkcs11Token.Open(_options.ModulePath, _options.TokenLabel, _options.SlotId, _pin);
        try
        {
            if (context.StoredParameters?.GetValueOrDefault("serial") is { } serial && serial != token.Serial)
            {
                throw VaultErrors.RootKeyMismatch($"the vault was sealed under token serial {serial}, and token '{token.Label}' has serial {token.Serial}");
            }

            var handle = FindRootKey(token, _options);
            IRootKey root = new Pkcs11Root(token, handle, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["token"] = token.Label,
                ["serial"] = token.Serial,
                ["key"] = Describe(_options),
            }, _options.UseTokenAnchor);
            return ValueTask.FromResult(root);
        }
        catch
        {
            token.Dispose();
            throw;
        }
    }

    /// <summary>Zeroes the PIN copy.</summary>
    public void Dispose()
    {
        if (_pin is { } pin)
        {
            CryptographicOperations.ZeroMemory(pin);
            _pin = null;
        }
    }

    /// <summary>Module, token and key; never the PIN.</summary>
    public override string ToString() => $"Pkcs11RootKey({_options.ModulePath}, token {(_options.TokenLabel is null ? $"slot {_options.SlotId}" : $"'{_options.TokenLabel}'")}, key {Describe(_options)})";

    private static IObjectHandle FindRootKey(Pkcs11Token token, Pkcs11RootKeyOptions options)
    {
        token.Require(CKM.CKM_AES_KEY_WRAP, "wrapping the vault's key-encryption keys");
        return token.Run("finding the root key", session =>
        {
            var found = session.FindAllObjects(KeyTemplate(options));
            if (found.Count == 0)
            {
                throw Pkcs11Errors.RootKeyNotFound(token.Label, Describe(options));
            }

            if (found.Count > 1)
            {
                throw Pkcs11Errors.RootKeyAmbiguous(token.Label, Describe(options), found.Count);
            }

            var attributes = session.GetAttributeValue(found[0], [CKA.CKA_EXTRACTABLE, CKA.CKA_SENSITIVE]);
            if (attributes[0].GetValueAsBool() || !attributes[1].GetValueAsBool())
            {
                throw Pkcs11Errors.RootKeyExtractable(token.Label, Describe(options));
            }

            return found[0];
        });
    }

    private static List<IObjectAttribute> KeyTemplate(Pkcs11RootKeyOptions options)
    {
        var template = new List<IObjectAttribute>
        {
            Pkcs11Token.Attribute(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            Pkcs11Token.Attribute(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
        };
        if (options.KeyLabel is not null)
        {
            template.Add(Pkcs11Token.Attribute(CKA.CKA_LABEL, options.KeyLabel));
        }

        if (options.KeyId is not null)
        {
            template.Add(Pkcs11Token.Attribute(CKA.CKA_ID, options.KeyId));
        }

        return template;
    }

    private static string Describe(Pkcs11RootKeyOptions options) =>
        options.KeyLabel is not null ? $"labelled '{options.KeyLabel}'" : $"with id {Convert.ToHexString(options.KeyId!)}";

    private static void Validate(Pkcs11RootKeyOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ModulePath))
        {
            throw VaultErrors.BadParameter("Pkcs11RootKeyOptions.ModulePath is required: the PKCS#11 module to load.");
        }

        if ((options.TokenLabel is null) == (options.SlotId is null))
        {
            throw VaultErrors.BadParameter("Pkcs11RootKeyOptions needs exactly one of TokenLabel and SlotId.");
        }

        if (options.Pin is not { Length: > 0 })
        {
            throw VaultErrors.BadParameter("Pkcs11RootKeyOptions.Pin is required: the token's user PIN, as bytes.");
        }

        if (options.KeyLabel is null && options.KeyId is null)
        {
            throw VaultErrors.BadParameter("Pkcs11RootKeyOptions needs KeyLabel or KeyId: which AES key in the token is the root.");
        }
    }
}
