namespace KeyVault.Embedded.Certificates;

/// <summary>The issuer names a certificate policy can use besides issuers registered in the vault.</summary>
public static class WellKnownIssuerNames
{
    /// <summary>A self-signed certificate, signed by its own key.</summary>
    public const string Self = "Self";

    /// <summary>
    /// An outside CA: creation leaves a pending operation holding a certificate signing request, completed by
    /// <see cref="ICertificateStore.MergeCertificateAsync"/> once the CA has signed it.
    /// </summary>
    public const string Unknown = "Unknown";
}
