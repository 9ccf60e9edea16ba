using KeyVault.Embedded.Keys.Cryptography;

namespace KeyVault.Embedded.Keys;

/// <summary>
/// Keys that live in a hardware token (<c>RSA-HSM</c>, <c>EC-HSM</c>, <c>oct-HSM</c>). The vault's root implements this
/// when it is a PKCS#11 token; the vault then stores only the key's public part and a reference to the token object
/// (<see cref="KeyAttributes.HsmReference"/>), and runs every private or secret-key operation in the token.
/// </summary>
internal interface IHardwareKeys
{
    /// <summary>Identifies the token (its serial number); references name it, and a vault never mixes tokens.</summary>
    string TokenIdentity { get; }

    /// <summary>Generates a non-extractable key in the token, labelled with the vault id, name and version.</summary>
    /// <param name="family">RSA, EC or oct.</param>
    /// <param name="size">RSA or AES size in bits, or null for the default.</param>
    /// <param name="curve">EC curve, or null for P-256.</param>
    /// <param name="operations">Allowed operations.</param>
    /// <param name="label">The token object label.</param>
    /// <param name="id">The token object id (CKA_ID).</param>
    /// <returns>The key's stored attributes (public part, reference) and the payload to seal (the reference).</returns>
    NewKey Generate(KeyType family, int? size, KeyCurveName? curve, IReadOnlyList<string> operations, string label, byte[] id);

    /// <summary>Binds a stored -HSM key to its token objects for use.</summary>
    CryptoKey Load(KeyAttributes attributes);

    /// <summary>
    /// Destroys a key's token objects (purge): only objects of a key class whose id is the reference's and whose label is
    /// <paramref name="label"/>, so a forged reference can never reach another object (the root key, another vault's
    /// keys). Missing objects are not an error.
    /// </summary>
    /// <exception cref="VaultIntegrityException">The reference is malformed (an empty id, another token).</exception>
    void Destroy(KeyAttributes attributes, string label);

    /// <summary>
    /// The private key of an RSA or EC token key as an OpenSSL key (<c>RSAOpenSsl</c>/<c>ECDsaOpenSsl</c>), for
    /// <c>X509Certificate2.CopyWithPrivateKey</c>, TLS and anything else that needs a native key: its private
    /// operations run in the token.
    /// </summary>
    System.Security.Cryptography.AsymmetricAlgorithm OpenNativeKey(KeyAttributes attributes);
}
