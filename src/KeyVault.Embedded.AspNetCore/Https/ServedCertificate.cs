using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace KeyVault.Embedded.AspNetCore.Https;

/// <summary>
/// One certificate version as Kestrel serves it: the leaf with its private key, its chain and the
/// <see cref="SslStreamCertificateContext"/> built from them once. Reference-counted: the server certificate holds one
/// reference while this version is current and every connection that took it at its handshake holds one until the
/// connection completes, so the private key (a token key for -HSM certificates) is released only when nothing can use it.
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
    }

    /// <summary>The vault version id.</summary>
    public string Version { get; }

    /// <summary>The leaf, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

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

    /// <summary>Gives back a reference; the last one disposes the certificate, its key and its chain.</summary>
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
