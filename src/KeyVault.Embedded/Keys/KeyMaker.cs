using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Keys;

/// <summary>
/// Makes and loads keys in software or, for the -HSM types, in the vault root's token: the one place that decides
/// where a key lives, shared by the key store, cryptography clients and the certificate store.
/// </summary>
internal static class KeyMaker
{
    /// <summary>A new key, named after its vault, object name and version when it lives in a token.</summary>
    public static NewKey Generate(VaultCore core, KeyType type, string name, string version, int? size, KeyCurveName? curve, IReadOnlyList<string> operations)
    {
        var family = KeyTypes.Family(type);
        if (!KeyTypes.IsHsm(type))
        {
            return KeyFactory.Generate(family, size, curve, operations);
        }

        return Hardware(core, type).Generate(family, size, curve, operations, Label(core.Header.VaultId, name, version), Convert.FromHexString(version));
    }

    /// <summary>
    /// The label of a token key: <c>kve:{vault id}:{name}:{version}</c>, with the name in its canonical lowercase form
    /// (keys made before format 2 kept the name as given; labels compare case-insensitively).
    /// </summary>
    public static string Label(Guid vaultId, string name, string version) => $"kve:{vaultId:N}:{Lifecycle.ObjectRules.Normalize(name)}:{version}";

    /// <summary>
    /// Destroys a purged key's token objects. Best effort after the commit: a failure (a token gone) is logged and leaves
    /// an unused token object behind, named after its vault, object and version, so it can be found.
    /// </summary>
    public static void Destroy(VaultCore core, IHardwareKeys hardware, KeyAttributes attributes, string label)
    {
        try
        {
            hardware.Destroy(attributes, label);
        }
        catch (Exception ex) when (ex is VaultException or InvalidOperationException)
        {
            Microsoft.Extensions.Logging.LoggerExtensions.LogError(core.Telemetry.Logger, Diagnostics.VaultLogEvents.OperationFailed, ex,
                "The token objects of a purged key ({Label}) could not be destroyed; they stay in the token.", label);
        }
    }

    /// <summary>A stored key ready for use: from its sealed payload, or bound to its token objects.</summary>
    public static CryptoKey Load(VaultCore core, KeyAttributes attributes, ReadOnlySpan<byte> payload) =>
        KeyTypes.IsHsm(attributes.KeyType) ? Hardware(core, attributes.KeyType).Load(attributes) : KeyFactory.Load(attributes, payload);

    /// <summary>
    /// Destroys a token key that was generated for a version that was then not written. Best effort: the failure that
    /// stopped the write is the one the caller reports.
    /// </summary>
    public static void Discard(VaultCore core, KeyAttributes attributes, string name, string version)
    {
        if (attributes.HsmReference is null || core.Root is not IHardwareKeys hardware)
        {
            return;
        }

        try
        {
            hardware.Destroy(attributes, Label(core.Header.VaultId, name, version));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The unused token object stays; it is named after its vault, object and version, so it can be found.
        }
    }

    private static IHardwareKeys Hardware(VaultCore core, KeyType type) =>
        core.Root as IHardwareKeys ?? throw VaultErrors.BadParameter($"{type} keys live in a PKCS#11 token: open the vault with a PKCS#11 root (KeyVault.Embedded.Pkcs11) to use them.");
}
