namespace KeyVault.Embedded.Events;

/// <summary>What happened to a vault object (after Azure Key Vault's Event Grid events: <c>SecretNewVersionCreated</c>, <c>SecretNearExpiry</c>...).</summary>
public enum VaultEventType
{
    /// <summary>A new version was created (set, create, import, merge, rotation, renewal).</summary>
    NewVersion,

    /// <summary>The properties of a version were updated (enabled, validity, tags, content type, operations).</summary>
    PropertiesUpdated,

    /// <summary>The object was soft-deleted.</summary>
    Deleted,

    /// <summary>A deleted object was recovered.</summary>
    Recovered,

    /// <summary>A deleted object was purged for good.</summary>
    Purged,

    /// <summary>A key was rotated (by hand or by its rotation policy); a <see cref="NewVersion"/> event comes too.</summary>
    Rotated,

    /// <summary>A certificate was renewed by its lifetime action; <see cref="NewVersion"/> events come too.</summary>
    Renewed,

    /// <summary>The current version expires within the configured window (30 days by default). Raised once per version.</summary>
    NearExpiry,

    /// <summary>The current version has expired. Raised once per version.</summary>
    Expired,
}
