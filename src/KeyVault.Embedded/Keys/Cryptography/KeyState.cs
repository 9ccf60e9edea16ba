using KeyVault.Embedded.Records;
using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>
/// What a cryptography client knows of its key version: the loaded key, and the state rules that gate each
/// operation (enabled, allowed operations, validity window). Immutable; replaced when the vault changes.
/// </summary>
internal sealed class KeyState
{
    public KeyState(LeasedKey lease, string? keyId, StoredVersion? stored, long generation, bool enabled, KeyOperations allowed, DateTimeOffset? notBefore, DateTimeOffset? expiresOn)
    {
        Lease = lease;
        KeyId = keyId;
        Stored = stored;
        Generation = generation;
        Enabled = enabled;
        Allowed = allowed;
        NotBefore = notBefore;
        ExpiresOn = expiresOn;
    }

    public LeasedKey Lease { get; }

    public string? KeyId { get; }

    /// <summary>The stored version this state was built from (null for a client over a JWK).</summary>
    public StoredVersion? Stored { get; }

    /// <summary>The vault's change counter when this state was last known current.</summary>
    public long Generation { get; }

    public bool Enabled { get; }

    public KeyOperations Allowed { get; }

    public DateTimeOffset? NotBefore { get; }

    public DateTimeOffset? ExpiresOn { get; }

    public KeyState At(long generation) => new(Lease, KeyId, Stored, generation, Enabled, Allowed, NotBefore, ExpiresOn);
}
