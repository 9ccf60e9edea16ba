using KeyVault.Embedded.Integrity;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace KeyVault.Embedded.Pkcs11;

/// <summary>
/// A vault's rollback anchor kept in the token: a private data object (<c>CKO_DATA</c>) labelled
/// <c>kve-anchor:{vault id}</c> whose value is the anchor. Whoever can write the vault's files but not the token
/// cannot move it back; the token persists it as it persists its keys.
/// </summary>
internal sealed class Pkcs11TokenAnchor : IRollbackAnchor
{
    private const string Application = "KeyVault.Embedded";
    private readonly Pkcs11Token _token;
    private readonly string _label;

    public Pkcs11TokenAnchor(Pkcs11Token token, Guid vaultId)
    {
        _token = token;
        _label = $"kve-anchor:{vaultId:N}";
    }

    public string Description => $"anchor object '{_label}' in token '{_token.Label}'";

    public byte[]? Read() => _token.Run("reading the rollback anchor", session =>
        Find(session) is { } handle ? session.GetAttributeValue(handle, [CKA.CKA_VALUE])[0].GetValueAsByteArray() : null);

    public void Write(byte[] content) => _token.Run("writing the rollback anchor", session =>
    {
        if (Find(session) is { } handle)
        {
            session.SetAttributeValue(handle, [Pkcs11Token.Attribute(CKA.CKA_VALUE, content)]);
        }
        else
        {
            session.CreateObject(
            [
                Pkcs11Token.Attribute(CKA.CKA_CLASS, CKO.CKO_DATA),
                Pkcs11Token.Attribute(CKA.CKA_TOKEN, true),
                Pkcs11Token.Attribute(CKA.CKA_PRIVATE, true),
                Pkcs11Token.Attribute(CKA.CKA_MODIFIABLE, true),
                Pkcs11Token.Attribute(CKA.CKA_LABEL, _label),
                Pkcs11Token.Attribute(CKA.CKA_APPLICATION, Application),
                Pkcs11Token.Attribute(CKA.CKA_VALUE, content),
            ]);
        }

        return true;
    });

    public void Dispose()
    {
        // The token belongs to the root, which the vault disposes.
    }

    private IObjectHandle? Find(ISession session)
    {
        var found = session.FindAllObjects([Pkcs11Token.Attribute(CKA.CKA_CLASS, CKO.CKO_DATA), Pkcs11Token.Attribute(CKA.CKA_LABEL, _label)]);
        return found.Count switch
        {
            0 => null,
            1 => found[0],
            _ => throw new VaultIntegrityException($"Token '{_token.Label}' holds {found.Count} anchor objects '{_label}': the token was altered."),
        };
    }
}
