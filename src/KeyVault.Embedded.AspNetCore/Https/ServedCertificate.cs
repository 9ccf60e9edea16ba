using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace KeyVault.Embedded.AspNetCore.Https;

/// <summary>
/// One certificate version as Kestrel serves it: the leaf with its private key, its chain and the
/// <see cref="SslStreamCertificateContext"/> built from them once. Reference-counted: the server certificate holds one
/// reference while this version is current and every connection that took it at its handshake holds one until the
/// connection completes, so the certificate objects (and their private key handle) are disposed only when nothing can
/// use them. The context has no Dispose: on Linux it holds its own duplicate of the key handle and OpenSSL contexts,
/// which go when the garbage collector finalizes it (docs/guarantees.md §14).
/// </summary>
internal sealed class ServedCertificate
{
    private readonly X509Certificate2Collection _chain;
    private int _references = 1;

    public ServedCertificate(string version, X509Certificate2 certificate, X509Certificate2Collection chain)
    {
        Version = version;
        Certificate = certificate;
        _chain = chain;

        // offline: the chain is the vault's; nothing is fetched from the network (AIA) at startup or renewal.
        Context = SslStreamCertificateContext.Create(certificate, chain, offline: true);
        NotBefore = new DateTimeOffset(certificate.NotBefore);
        NotAfter = new DateTimeOffset(certificate.NotAfter);
    }

    /// <summary>The vault version id.</summary>
    public string Version { get; }

    /// <summary>The leaf, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The leaf's NotBefore (read at load: the leaf is disposed with the last reference).</summary>
    public DateTimeOffset NotBefore { get; }

    /// <summary>The leaf's NotAfter.</summary>
    public DateTimeOffset NotAfter { get; }

    /// <summary>What the handshake sends: the leaf and its intermediates.</summary>
    public SslStreamCertificateContext Context { get; }

    /// <summary>True once the last reference is gone and the certificate was disposed.</summary>
    public bool IsDisposed => Volatile.Read(ref _references) == 0;

    /// <summary>Takes a reference, unless the last one was already released (then this version is gone: take the current one).</summary>
    public bool TryAcquire()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>
    /// Gives back a reference; the last one disposes the leaf (with its private key handle) and the chain's certificate
    /// objects. What the <see cref="Context"/> duplicated from them lives until it is finalized.
    /// </summary>
    public void Release()
    {
        var left = Interlocked.Decrement(ref _references);
        if (left == 0)
        {
            Certificate.Dispose();
            foreach (var certificate in _chain)
            {
                certificate.Dispose();
            }
        }
        else if (left < 0)
        {
            throw new InvalidOperationException("A served certificate was released more often than it was acquired.");
        }
    }
}
