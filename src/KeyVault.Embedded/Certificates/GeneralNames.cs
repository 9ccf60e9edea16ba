using System.Formats.Asn1;
using System.Net;

namespace KeyVault.Embedded.Certificates;

/// <summary>
/// Reads the names of a subject alternative name extension (RFC 5280, section 4.2.1.6) into the policy's lists. .NET's
/// <c>X509SubjectAlternativeNameExtension</c> enumerates DNS names and IP addresses only; email addresses (rfc822Name),
/// URIs (uniformResourceIdentifier) and user principal names (an otherName) are read here with .NET's ASN.1 reader.
/// </summary>
internal static class GeneralNames
{
    private const string UserPrincipalNameOid = "1.3.6.1.4.1.311.20.2.3";

    public static void Read(byte[] extensionValue, SubjectAlternativeNames names)
    {
        try
        {
            var sequence = new AsnReader(extensionValue, AsnEncodingRules.DER).ReadSequence();
            while (sequence.HasData)
            {
                var tag = sequence.PeekTag();
                if (tag.TagClass != TagClass.ContextSpecific)
                {
                    sequence.ReadEncodedValue();
                    continue;
                }

                switch (tag.TagValue)
                {
                    case 0:
                        var otherName = sequence.ReadSequence(tag);
                        var type = otherName.ReadObjectIdentifier();
                        var value = otherName.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
                        if (type == UserPrincipalNameOid)
                        {
                            names.UserPrincipalNames.Add(value.ReadCharacterString(UniversalTagNumber.UTF8String));
                        }

                        break;
                    case 1:
                        names.Emails.Add(sequence.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                        break;
                    case 2:
                        names.DnsNames.Add(sequence.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                        break;
                    case 6:
                        names.UniformResourceIdentifiers.Add(sequence.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                        break;
                    case 7:
                        names.IpAddresses.Add(new IPAddress(sequence.ReadOctetString(tag)).ToString());
                        break;
                    default:
                        sequence.ReadEncodedValue();
                        break;
                }
            }
        }
        catch (AsnContentException ex)
        {
            throw new VaultException(VaultErrorCode.BadParameter, 400, "The certificate's subject alternative name extension is malformed.", ex);
        }
    }
}
