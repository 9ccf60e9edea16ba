using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace KeyVault.Embedded.AspNetCore.DataProtection;

/// <summary>
/// Encrypts each key ring element under a vault key, as Azure.Extensions.AspNetCore.DataProtection.Keys does with Azure:
/// a fresh 256-bit key encrypts the element with AES-256-GCM (the vault key's id and the wrap algorithm as associated
/// data), and the vault wraps that key with its key (<c>RSA-OAEP-256</c> for an RSA key, <c>A256KW</c> for an oct key;
/// a token's -HSM key works the same way, so the key ring is then protected by the token). The element is written as
/// <c>&lt;encryptedKey&gt;</c> with the key id (with its version), the wrap, the nonce, the tag and the ciphertext.
/// </summary>
internal sealed class EmbeddedVaultXmlEncryptor(Func<EmbeddedVault> vault, string keyName, VaultPrincipal principal) : IXmlEncryptor
{
    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        ArgumentNullException.ThrowIfNull(plaintextElement);
        var v = vault();
        using var caller = v.RunAs(principal);
        var key = v.Keys.GetKey(keyName);
        var algorithm = key.KeyType == KeyType.Rsa || key.KeyType == KeyType.RsaHsm ? KeyWrapAlgorithm.RsaOaep256
            : key.KeyType == KeyType.Oct || key.KeyType == KeyType.OctHsm ? KeyWrapAlgorithm.A256KW
            : throw new VaultException(VaultErrorCode.BadParameter, 400, $"Data Protection key ring: vault key '{keyName}' is {key.KeyType}, which cannot wrap; use an RSA or oct key.");

        var dek = RandomNumberGenerator.GetBytes(32);
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        try
        {
            using var crypto = v.Keys.GetCryptographyClient(keyName, key.Properties.Version);
            var wrapped = crypto.WrapKey(algorithm, dek);
            var kid = key.Id!.ToString();
            var nonce = RandomNumberGenerator.GetBytes(12);
            var tag = new byte[16];
            var ciphertext = new byte[plaintext.Length];
            using (var gcm = new AesGcm(dek, tag.Length))
            {
                gcm.Encrypt(nonce, plaintext, ciphertext, tag, EmbeddedVaultXmlDecryptor.AssociatedData(kid, algorithm.ToString()));
            }

            var element = new XElement("encryptedKey",
                new XComment(" This key is encrypted with a KeyVault.Embedded vault key. "),
                new XElement("kid", kid),
                new XElement("alg", algorithm.ToString()),
                new XElement("key", Convert.ToBase64String(wrapped.EncryptedKey)),
                new XElement("nonce", Convert.ToBase64String(nonce)),
                new XElement("tag", Convert.ToBase64String(tag)),
                new XElement("value", Convert.ToBase64String(ciphertext)));
            return new EncryptedXmlInfo(element, typeof(EmbeddedVaultXmlDecryptor));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
