namespace KeyVault.Embedded.Hosting;

/// <summary>
/// A software root of trust named in configuration (<c>"Root": { "KeyFile": ... }</c>): where the 256-bit root key is,
/// never the key itself. Set one of the two. A PKCS#11 root comes from the PKCS#11 package's <c>UsePkcs11Root</c>.
/// </summary>
public sealed class RootKeySettings
{
    /// <summary>A file holding the root key (64 hex characters or base64), readable only by the app's user.</summary>
    public string? KeyFile { get; set; }

    /// <summary>The name of an environment variable holding the root key (64 hex characters or base64).</summary>
    public string? EnvironmentVariable { get; set; }

    /// <inheritdoc />
    public override string ToString() => KeyFile is not null ? $"RootKeySettings {{ KeyFile = {KeyFile} }}" : $"RootKeySettings {{ EnvironmentVariable = {EnvironmentVariable} }}";
}
