namespace KeyVault.Embedded.Lifecycle;

/// <summary>Who is changing an object: its own store, or the certificate store acting on what a certificate manages.</summary>
internal enum ObjectAccess
{
    /// <summary>The secret or key store: objects a certificate manages are read-only here.</summary>
    Direct,

    /// <summary>The certificate store: creates and changes a certificate with its managed key and secret.</summary>
    Certificate,
}
