using System.Formats.Asn1;
using System.Security.Cryptography;

namespace KeyVault.Embedded;

/// <summary>
/// The exceptions .NET's parsers (X.509, PKCS#8, PKCS#12, PEM, key import) throw for bytes that are not what they
/// claim to be. A caller's input that raises one of them is a malformed parameter, never a crash of the vault.
/// </summary>
internal static class MalformedInput
{
    /// <summary>Whether <paramref name="exception"/> is a parser's refusal of malformed input.</summary>
    public static bool Is(Exception exception) => exception is CryptographicException
        or PlatformNotSupportedException // an unknown curve OID in a key
        or AsnContentException
        or FormatException
        or ArgumentException
        or IndexOutOfRangeException
        or OverflowException;
}
