namespace KeyVault.Embedded.Storage;

/// <summary>A small named vault setting (certificate contacts, a certificate issuer): JSON text, authenticated, not versioned.</summary>
/// <param name="Key">The setting's key, for example <c>certificates/issuers/my-ca</c>.</param>
/// <param name="Value">The setting as JSON.</param>
/// <param name="Mac">Authenticates key and value (see <c>MetadataAuthenticator</c>).</param>
internal sealed record SettingRecord(string Key, string Value, byte[]? Mac = null);
