namespace KeyVault.Embedded.Certificates;

/// <summary>The state of a certificate operation, as Azure's <c>CertificateOperationProperties</c>.</summary>
public sealed class CertificateOperationProperties
{
    internal CertificateOperationProperties(string name, Uri? vaultUri, string issuerName, string? status, byte[]? csr, bool cancellationRequested)
    {
        Name = name;
        VaultUri = vaultUri;
        IssuerName = issuerName;
        Status = status;
        Csr = csr;
        CancellationRequested = cancellationRequested;
        StatusDetails = status switch
        {
            CertificateOperation.InProgress => $"Waiting for the certificate signed by issuer '{issuerName}' to be merged.",
            CertificateOperation.Cancelled => "The operation was cancelled.",
            _ => null,
        };
        Target = vaultUri is null ? null : new Uri(vaultUri, $"certificates/{name}").ToString();
        Id = vaultUri is null ? null : new Uri(vaultUri, $"certificates/{name}/pending");
    }

    /// <summary>The operation's identifier: <c>{vault}/certificates/{name}/pending</c>.</summary>
    public Uri? Id { get; internal set; }

    /// <summary>The certificate's name.</summary>
    public string Name { get; }

    /// <summary>The vault's identifier.</summary>
    public Uri? VaultUri { get; }

    /// <summary>The issuer named by the policy.</summary>
    public string IssuerName { get; }

    /// <summary>
    /// <see cref="CertificateOperation.Completed"/>, <see cref="CertificateOperation.InProgress"/>,
    /// <see cref="CertificateOperation.Cancelled"/> or <see cref="CertificateOperation.Failed"/>; null on an operation
    /// made by name and not read yet.
    /// </summary>
    public string? Status { get; }

    /// <summary>A description of the status.</summary>
    public string? StatusDetails { get; internal set; }

    /// <summary>The certificate signing request (PKCS#10, DER) for the outside CA; null once completed.</summary>
    public byte[]? Csr { get; }

    /// <summary>Whether the operation was cancelled.</summary>
    public bool CancellationRequested { get; }

    /// <summary>The error of a failed operation (<see cref="CertificateOperation.Failed"/>): the issuer the vault does not reach.</summary>
    public CertificateOperationError? Error { get; internal set; }

    /// <summary>The identifier of the certificate the operation makes: <c>{vault}/certificates/{name}</c>.</summary>
    public string? Target { get; internal set; }

    /// <summary>An issuer's request identifier: null, as the vault's issuers are in-process.</summary>
    public string? RequestId { get; internal set; }

    /// <summary>Name and status.</summary>
    /// <returns>A description.</returns>
    public override string ToString() => $"CertificateOperationProperties {{ Name = {Name}, Status = {Status} }}";
}

/// <summary>The error of a failed certificate operation, as Azure's.</summary>
public sealed class CertificateOperationError
{
    internal CertificateOperationError(string? code, string? message, CertificateOperationError? innerError)
    {
        Code = code;
        Message = message;
        InnerError = innerError;
    }

    /// <summary>The error code.</summary>
    public string? Code { get; }

    /// <summary>The message.</summary>
    public string? Message { get; }

    /// <summary>The error that caused this one.</summary>
    public CertificateOperationError? InnerError { get; }
}
