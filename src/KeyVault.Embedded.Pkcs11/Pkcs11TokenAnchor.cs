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

    /// <remarks>
    /// Two objects exist only after a crash between a write's create and its destroy: the newer generation is the anchor.
    /// </remarks>
    public byte[]? Read() => _token.Run("reading the rollback anchor", session =>
        Find(session).Select(handle => session.GetAttributeValue(handle, [CKA.CKA_VALUE])[0].GetValueAsByteArray() ?? [])
            .OrderByDescending(AnchorState.PeekGeneration)
            .FirstOrDefault());

    /// <remarks>
    /// SoftHSMv2 (like many tokens) keeps a data object's value read-only once created, so a write creates the new
    /// anchor object first and then destroys the old ones: a crash in between leaves both, never none.
    /// </remarks>
    public void Write(byte[] content) => _token.Run("writing the rollback anchor", session =>
    {
        var old = Find(session);
        session.CreateObject(
        [
            Pkcs11Token.Attribute(CKA.CKA_CLASS, CKO.CKO_DATA),
            Pkcs11Token.Attribute(CKA.CKA_TOKEN, true),
            Pkcs11Token.Attribute(CKA.CKA_PRIVATE, true),
            Pkcs11Token.Attribute(CKA.CKA_MODIFIABLE, false),
            Pkcs11Token.Attribute(CKA.CKA_LABEL, _label),
            Pkcs11Token.Attribute(CKA.CKA_APPLICATION, Application),
            Pkcs11Token.Attribute(CKA.CKA_VALUE, content),
        ]);
        foreach (var handle in old)
        {
            session.DestroyObject(handle);
        }

        return true;
    });

    public void Dispose()
    {
        // The token belongs to the root, which the vault disposes.
    }

    private List<IObjectHandle> Find(ISession session)
    {
        var found = session.FindAllObjects([Pkcs11Token.Attribute(CKA.CKA_CLASS, CKO.CKO_DATA), Pkcs11Token.Attribute(CKA.CKA_LABEL, _label)]);
        return found.Count <= 2
            ? found
            : throw new VaultIntegrityException($"Token '{_token.Label}' holds {found.Count} anchor objects '{_label}': the token was altered.");
    }
}
