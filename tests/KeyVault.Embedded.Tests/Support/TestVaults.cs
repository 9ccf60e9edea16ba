using System.Security.Cryptography;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>Opening vaults in tests.</summary>
public static class TestVaults
{
    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(32);

    public static EmbeddedVaultOptions Options(string path, byte[] key, TimeProvider? time = null) => new()
    {
        Path = path,
        RootKey = SoftwareRootKey.FromBytes(key),
        TimeProvider = time ?? TimeProvider.System,
    };

    public static Task<EmbeddedVault> OpenAsync(string path, byte[] key, TimeProvider? time = null, Action<EmbeddedVaultOptions>? configure = null)
    {
        var options = Options(path, key, time);
        configure?.Invoke(options);
        return EmbeddedVault.OpenAsync(options);
    }
}
