using System.Security.Cryptography;
using System.Text;

namespace KeyVault.Embedded.Pkcs11.Hosting;

/// <summary>
/// A PKCS#11 root of trust as configuration can say it (<c>"EmbeddedVault": { "Root": { "Pkcs11": { ... } } }</c>):
/// where the module, token and key are, and where the PIN is, never the PIN itself.
/// </summary>
public sealed class Pkcs11RootSettings
{
    /// <summary>The PKCS#11 module, for example <c>/usr/lib/softhsm/libsofthsm2.so</c>. Required.</summary>
    public string? ModulePath { get; set; }

    /// <summary>The token's label. Give this or <see cref="SlotId"/>.</summary>
    public string? TokenLabel { get; set; }

    /// <summary>The token's slot id. Give this or <see cref="TokenLabel"/>.</summary>
    public ulong? SlotId { get; set; }

    /// <summary>The root key's label (<c>CKA_LABEL</c>). Give this or <see cref="KeyId"/>.</summary>
    public string? KeyLabel { get; set; }

    /// <summary>The root key's id (<c>CKA_ID</c>) in hexadecimal. Give this or <see cref="KeyLabel"/>.</summary>
    public string? KeyId { get; set; }

    /// <summary>A file holding the user PIN (UTF-8; one trailing line break is ignored). Give this or <see cref="PinEnvironmentVariable"/>.</summary>
    public string? PinFile { get; set; }

    /// <summary>The name of an environment variable holding the user PIN. Give this or <see cref="PinFile"/>.</summary>
    public string? PinEnvironmentVariable { get; set; }

    /// <summary>Keeps the vault's rollback anchor in the token (see <see cref="Pkcs11RootKeyOptions.UseTokenAnchor"/>).</summary>
    public bool UseTokenAnchor { get; set; }

    /// <summary>Module, token and key, and where the PIN comes from; never the PIN.</summary>
    /// <returns>A description for logs.</returns>
    public override string ToString() =>
        $"Pkcs11RootSettings {{ ModulePath = {ModulePath}, Token = {TokenLabel ?? SlotId?.ToString(System.Globalization.CultureInfo.InvariantCulture)}, Key = {KeyLabel ?? KeyId}, Pin = {(PinFile is not null ? "file" : "environment")} }}";

    /// <summary>Every wrong setting by its name under <c>Root:Pkcs11</c>, with the rule it breaks. Never reads out a PIN.</summary>
    internal IEnumerable<(string Setting, string Problem)> Problems()
    {
        if (string.IsNullOrWhiteSpace(ModulePath))
        {
            yield return ("ModulePath", "is required: the PKCS#11 module to load (for example /usr/lib/softhsm/libsofthsm2.so).");
        }
        else if (!File.Exists(ModulePath))
        {
            yield return ("ModulePath", $"names '{ModulePath}', which does not exist.");
        }

        if (string.IsNullOrWhiteSpace(TokenLabel) == (SlotId is null))
        {
            yield return ("TokenLabel", "or SlotId is required, not both: which token holds the root key.");
        }

        if (string.IsNullOrWhiteSpace(KeyLabel) == string.IsNullOrWhiteSpace(KeyId))
        {
            yield return ("KeyLabel", "or KeyId is required, not both: which AES key in the token is the root.");
        }
        else if (!string.IsNullOrWhiteSpace(KeyId) && (KeyId.Length % 2 != 0 || !KeyId.All(char.IsAsciiHexDigit)))
        {
            yield return ("KeyId", "must be hexadecimal (two digits per byte).");
        }

        if (string.IsNullOrWhiteSpace(PinFile) == string.IsNullOrWhiteSpace(PinEnvironmentVariable))
        {
            yield return ("PinFile", "or PinEnvironmentVariable is required, not both: where the user PIN is (never the PIN itself in configuration).");
        }
        else if (!string.IsNullOrWhiteSpace(PinFile) && !File.Exists(PinFile))
        {
            yield return ("PinFile", $"names '{PinFile}', which does not exist.");
        }
        else if (!string.IsNullOrWhiteSpace(PinEnvironmentVariable) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PinEnvironmentVariable)))
        {
            yield return ("PinEnvironmentVariable", $"names '{PinEnvironmentVariable}', which is not set in this process's environment.");
        }
    }

    /// <summary>Reads the PIN and creates the root provider (which keeps its own copy); zeroes the PIN read here.</summary>
    internal Pkcs11RootKey CreateRootKey()
    {
        var pin = ReadPin();
        try
        {
            return new Pkcs11RootKey(new Pkcs11RootKeyOptions
            {
                ModulePath = ModulePath!,
                TokenLabel = string.IsNullOrWhiteSpace(TokenLabel) ? null : TokenLabel,
                SlotId = string.IsNullOrWhiteSpace(TokenLabel) ? SlotId : null,
                KeyLabel = string.IsNullOrWhiteSpace(KeyLabel) ? null : KeyLabel,
                KeyId = string.IsNullOrWhiteSpace(KeyId) ? null : Convert.FromHexString(KeyId),
                Pin = pin,
                UseTokenAnchor = UseTokenAnchor,
            });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pin);
        }
    }

    private byte[] ReadPin()
    {
        if (string.IsNullOrWhiteSpace(PinFile))
        {
            return Encoding.UTF8.GetBytes(Environment.GetEnvironmentVariable(PinEnvironmentVariable!) ?? string.Empty);
        }

        // Refused when it is a symbolic link, another user's file, or readable by group or others (InsecureFile).
        var bytes = KeyVault.Embedded.Storage.SecureFile.ReadAll(PinFile) ?? throw new FileNotFoundException($"The PIN file '{PinFile}' does not exist.");
        var length = bytes.Length;
        if (length > 0 && bytes[length - 1] == (byte)'\n')
        {
            length--;
            if (length > 0 && bytes[length - 1] == (byte)'\r')
            {
                length--;
            }
        }

        if (length == bytes.Length)
        {
            return bytes;
        }

        var pin = bytes[..length];
        CryptographicOperations.ZeroMemory(bytes);
        return pin;
    }
}
