namespace KeyVault.Embedded.Events;

/// <summary>The kind of object an event is about.</summary>
public enum VaultObjectKind
{
    /// <summary>A secret (including the managed secret of a certificate).</summary>
    Secret,

    /// <summary>A key (including the managed key of a certificate).</summary>
    Key,

    /// <summary>A certificate.</summary>
    Certificate,
}
