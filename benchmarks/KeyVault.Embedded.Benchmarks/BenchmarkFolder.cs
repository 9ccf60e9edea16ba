namespace KeyVault.Embedded.Benchmarks;

/// <summary>A scratch folder for one benchmark class, on the same disk as the system's temp folder.</summary>
internal sealed class BenchmarkFolder : IDisposable
{
    public BenchmarkFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kve-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A new vault in this folder with a random software root key.</summary>
    public EmbeddedVault OpenVault() => EmbeddedVault.OpenAsync(new EmbeddedVaultOptions
    {
        Path = File("vault.db"),
        RootKey = SoftwareRootKey.FromBytes(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
    }).GetAwaiter().GetResult();

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
