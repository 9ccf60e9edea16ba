using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using KeyVault.Embedded.KeyHierarchy;
using KeyVault.Embedded.Storage;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;

namespace KeyVault.Embedded;

/// <summary>
/// A software root of trust: a 256-bit master key given as bytes, read from a key file or an environment
/// variable, or derived from a passphrase with Argon2id. It wraps the vault's key-encryption keys with AES key
/// wrap (RFC 3394).
/// </summary>
/// <remarks>
/// <para>A key given as bytes or a passphrase is copied into pinned memory owned by this object and zeroed by
/// <see cref="Dispose"/>; a key file or variable is read only when a vault opens. Key text (file or variable)
/// is 64 hexadecimal characters or base64 of 32 bytes; a key file may also hold the 32 raw bytes.</para>
/// <para>Argon2id parameters (memory, passes, lanes) and the random salt are recorded in the vault header when
/// the vault is created, so later opens need only the passphrase. The minimum is 64 MiB and 3 passes.</para>
/// </remarks>
public sealed class SoftwareRootKey : IRootKeyProvider, IDisposable
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The <see cref="IRootKeyProvider.Kind"/> of a root given as key bytes, a key file or a variable.</summary>
    public const string KeyKind = "software";

    /// <summary>The <see cref="IRootKeyProvider.Kind"/> of a root derived from a passphrase with Argon2id.</summary>
    public const string PassphraseKind = "passphrase-argon2id";

    /// <summary>Minimum Argon2id memory, in KiB (64 MiB).</summary>
    public const int MinimumArgon2MemoryKiB = 64 * 1024;

    /// <summary>Minimum Argon2id passes.</summary>
    public const int MinimumArgon2Iterations = 3;

    // Upper bounds, so that a header edited to absurd costs cannot make every open exhaust memory or time.
    private const int MaximumArgon2MemoryKiB = 4 * 1024 * 1024;
    private const int MaximumArgon2Iterations = 64;
    private const int MaximumArgon2Parallelism = 64;

    private const int SaltSize = 16;

    private readonly Func<byte[]>? _readKey;
    private readonly string _description;
    private readonly int _memoryKiB;
    private readonly int _iterations;
    private readonly int _parallelism;
    private byte[]? _secret;

    private SoftwareRootKey(string kind, string description, byte[]? secret, Func<byte[]>? readKey, int memoryKiB = 0, int iterations = 0, int parallelism = 0)
    {
        Kind = kind;
        _description = description;
        _secret = secret;
        _readKey = readKey;
        _memoryKiB = memoryKiB;
        _iterations = iterations;
        _parallelism = parallelism;
    }

    /// <inheritdoc />
    public string Kind { get; }

    /// <summary>A root from 32 key bytes, which are copied.</summary>
    /// <param name="key">The 256-bit master key.</param>
    /// <returns>The root; dispose it to zero its copy of the key.</returns>
    /// <exception cref="VaultException"><c>BadParameter</c> when the key is not 32 bytes.</exception>
    public static SoftwareRootKey FromBytes(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyMaterial.KeySize)
        {
            throw VaultErrors.BadParameter($"A software root key is {KeyMaterial.KeySize} bytes; {key.Length} were given.");
        }

        return new SoftwareRootKey(KeyKind, "key bytes", KeyMaterial.PinnedCopy(key), null);
    }

    /// <summary>A root read from a key file (32 raw bytes, 64 hex characters or base64) each time a vault opens.</summary>
    /// <param name="path">The key file. Keep it outside the vault's folder and readable only by the application.</param>
    /// <returns>The root.</returns>
    public static SoftwareRootKey FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        return new SoftwareRootKey(KeyKind, $"key file '{fullPath}'", null, () => ReadKeyFile(fullPath));
    }

    /// <summary>A root read from an environment variable (64 hex characters or base64) each time a vault opens.</summary>
    /// <param name="variableName">The variable's name.</param>
    /// <returns>The root.</returns>
    public static SoftwareRootKey FromEnvironmentVariable(string variableName)
    {
        ArgumentException.ThrowIfNullOrEmpty(variableName);
        return new SoftwareRootKey(KeyKind, $"environment variable '{variableName}'", null, () => ReadVariable(variableName));
    }

    /// <summary>A root derived from a passphrase (UTF-8 bytes, which are copied) with Argon2id.</summary>
    /// <param name="passphrase">The passphrase as UTF-8.</param>
    /// <param name="memoryKiB">Argon2id memory for a new vault, in KiB; at least 65,536 (64 MiB).</param>
    /// <param name="iterations">Argon2id passes for a new vault; at least 3.</param>
    /// <param name="parallelism">Argon2id lanes for a new vault; at least 1.</param>
    /// <returns>The root; dispose it to zero its copy of the passphrase.</returns>
    /// <exception cref="VaultException"><c>BadParameter</c> for an empty passphrase or a cost below the minimum.</exception>
    public static SoftwareRootKey FromPassphrase(ReadOnlySpan<byte> passphrase, int memoryKiB = MinimumArgon2MemoryKiB, int iterations = MinimumArgon2Iterations, int parallelism = 1)
    {
        if (passphrase.IsEmpty)
        {
            throw VaultErrors.BadParameter("The passphrase is empty.");
        }

        ValidateCost(memoryKiB, iterations, parallelism);
        return new SoftwareRootKey(PassphraseKind, "passphrase", KeyMaterial.PinnedCopy(passphrase), null, memoryKiB, iterations, parallelism);
    }

    /// <summary>A root derived from a passphrase with Argon2id; the characters are encoded as UTF-8 and copied.</summary>
    /// <param name="passphrase">The passphrase.</param>
    /// <param name="memoryKiB">Argon2id memory for a new vault, in KiB; at least 65,536 (64 MiB).</param>
    /// <param name="iterations">Argon2id passes for a new vault; at least 3.</param>
    /// <param name="parallelism">Argon2id lanes for a new vault; at least 1.</param>
    /// <returns>The root; dispose it to zero its copy of the passphrase.</returns>
    /// <exception cref="VaultException"><c>BadParameter</c> for an empty passphrase, one that is not text (a lone
    /// surrogate, which UTF-8 cannot encode), or a cost below the minimum.</exception>
    public static SoftwareRootKey FromPassphrase(ReadOnlySpan<char> passphrase, int memoryKiB = MinimumArgon2MemoryKiB, int iterations = MinimumArgon2Iterations, int parallelism = 1)
    {
        // Strict: a lossy encoding would turn every lone surrogate into U+FFFD, so that different passphrases would
        // open the same vault.
        int length;
        try
        {
            length = StrictUtf8.GetByteCount(passphrase);
        }
        catch (EncoderFallbackException)
        {
            throw VaultErrors.BadParameter("The passphrase is not text: it holds a lone surrogate, which UTF-8 cannot encode.");
        }

        var utf8 = GC.AllocateUninitializedArray<byte>(length, pinned: true);
        try
        {
            StrictUtf8.GetBytes(passphrase, utf8);
            return FromPassphrase(utf8, memoryKiB, iterations, parallelism);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(utf8);
        }
    }

    /// <summary>
    /// Writes a new random 256-bit key to <paramref name="path"/> as hexadecimal text, readable and writable by
    /// the owner only, flushed to disk. Refuses to overwrite an existing file.
    /// </summary>
    /// <param name="path">Where to write the key. Keep it apart from the vault file (another disk, a secret mount).</param>
    /// <exception cref="IOException">The file exists.</exception>
    public static void CreateKeyFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Span<byte> key = stackalloc byte[KeyMaterial.KeySize];
        Span<byte> hex = stackalloc byte[KeyMaterial.KeySize * 2];
        try
        {
            RandomNumberGenerator.Fill(key);
            for (var i = 0; i < key.Length; i++)
            {
                key[i].TryFormat(hex.Slice(i * 2, 2), out _, "x2", CultureInfo.InvariantCulture);
            }

            using var file = SecureFile.CreateNew(path);
            file.Write(hex);
            file.Flush(flushToDisk: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(hex);
        }
    }

    /// <inheritdoc />
    public ValueTask<IRootKey> OpenAsync(RootKeyContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ObjectDisposedException.ThrowIf(_secret is null && _readKey is null, this);
        cancellationToken.ThrowIfCancellationRequested();
        IRootKey root = Kind == PassphraseKind
            ? Derive(context.StoredParameters)
            : new AesKeyWrapRootKey(_readKey is null ? KeyMaterial.PinnedCopy(_secret) : _readKey(), new Dictionary<string, string>());
        return ValueTask.FromResult(root);
    }

    /// <summary>Zeroes the key bytes or passphrase this object holds.</summary>
    public void Dispose()
    {
        if (_secret is { } secret)
        {
            CryptographicOperations.ZeroMemory(secret);
            _secret = null;
        }
    }

    /// <summary>Describes the source of the root, never its value.</summary>
    public override string ToString() => $"SoftwareRootKey({Kind}: {_description})";

    private AesKeyWrapRootKey Derive(IReadOnlyDictionary<string, string>? stored)
    {
        byte[] salt;
        int memoryKiB, iterations, parallelism;
        if (stored is null)
        {
            salt = RandomNumberGenerator.GetBytes(SaltSize);
            (memoryKiB, iterations, parallelism) = (_memoryKiB, _iterations, _parallelism);
        }
        else
        {
            try
            {
                salt = Convert.FromBase64String(stored["salt"]);
                memoryKiB = int.Parse(stored["m"], CultureInfo.InvariantCulture);
                iterations = int.Parse(stored["t"], CultureInfo.InvariantCulture);
                parallelism = int.Parse(stored["p"], CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is KeyNotFoundException or FormatException or OverflowException or ArgumentException)
            {
                // Read before the header can be authenticated (the key they derive is what authenticates it).
                throw new VaultIntegrityException("The vault header's Argon2id parameters are missing or malformed: the file was altered.", ex);
            }

            // Refuse a header edited down to a weak cost (the derived key would be as weak as the edit) or up to an
            // absurd one (every open would exhaust memory).
            if (memoryKiB is < MinimumArgon2MemoryKiB or > MaximumArgon2MemoryKiB || iterations is < MinimumArgon2Iterations or > MaximumArgon2Iterations
                || parallelism is < 1 or > MaximumArgon2Parallelism || salt.Length < SaltSize)
            {
                throw VaultErrors.RootKeyMismatch("the vault header's Argon2id parameters are outside the allowed range (64 MiB to 4 GiB, 3 to 64 passes)");
            }
        }

        var parameters = new Argon2Parameters.Builder(Argon2Parameters.Argon2id)
            .WithVersion(Argon2Parameters.Version13)
            .WithMemoryAsKB(memoryKiB)
            .WithIterations(iterations)
            .WithParallelism(parallelism)
            .WithSalt(salt)
            .Build();
        var generator = new Argon2BytesGenerator();
        generator.Init(parameters);
        var key = GC.AllocateUninitializedArray<byte>(KeyMaterial.KeySize, pinned: true);
        generator.GenerateBytes(_secret!, key);
        parameters.Clear();
        return new AesKeyWrapRootKey(key, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["salt"] = Convert.ToBase64String(salt),
            ["m"] = memoryKiB.ToString(CultureInfo.InvariantCulture),
            ["t"] = iterations.ToString(CultureInfo.InvariantCulture),
            ["p"] = parallelism.ToString(CultureInfo.InvariantCulture),
        });
    }

    /// <summary>
    /// Whether stored Argon2id parameters must be refused before anything is spent on them (a portable export's header,
    /// read before it can be checked): they ask for more memory, passes or lanes than this key was made with, or one of
    /// them is missing or not a plain decimal number (so no other parse can read more into it). Always false for a key
    /// that is not a passphrase.
    /// </summary>
    internal bool ExceedsCost(IReadOnlyDictionary<string, string> stored)
    {
        if (Kind != PassphraseKind)
        {
            return false;
        }

        return !Canonical("m", out var memoryKiB) || !Canonical("t", out var iterations) || !Canonical("p", out var parallelism)
            || memoryKiB > _memoryKiB || iterations > _iterations || parallelism > _parallelism;

        bool Canonical(string name, out int value)
        {
            value = 0;
            return stored.TryGetValue(name, out var text)
                && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value)
                && string.Equals(value.ToString(CultureInfo.InvariantCulture), text, StringComparison.Ordinal);
        }
    }

    private static void ValidateCost(int memoryKiB, int iterations, int parallelism)
    {
        if (memoryKiB is < MinimumArgon2MemoryKiB or > MaximumArgon2MemoryKiB)
        {
            throw VaultErrors.BadParameter($"Argon2id memory is {memoryKiB} KiB; it must be from {MinimumArgon2MemoryKiB} KiB (64 MiB) to {MaximumArgon2MemoryKiB} KiB (4 GiB).");
        }

        if (iterations is < MinimumArgon2Iterations or > MaximumArgon2Iterations)
        {
            throw VaultErrors.BadParameter($"Argon2id passes are {iterations}; they must be from {MinimumArgon2Iterations} to {MaximumArgon2Iterations}.");
        }

        if (parallelism is < 1 or > MaximumArgon2Parallelism)
        {
            throw VaultErrors.BadParameter($"Argon2id parallelism is {parallelism}; it must be from 1 to {MaximumArgon2Parallelism}.");
        }
    }

    private static byte[] ReadKeyFile(string path)
    {
        byte[] content;
        try
        {
            // Refused when it is a symbolic link, another user's file, or readable by group or others (InsecureFile).
            content = SecureFile.ReadAll(path) ?? throw VaultErrors.RootKeyUnavailable($"the key file '{path}' does not exist");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw VaultErrors.RootKeyUnavailable($"the key file '{path}' cannot be read ({ex.GetType().Name})", ex);
        }

        char[]? text = null;
        try
        {
            if (content.Length == KeyMaterial.KeySize)
            {
                return KeyMaterial.PinnedCopy(content);
            }

            text = new char[content.Length];
            var chars = Encoding.UTF8.GetChars(content, text);
            return KeyMaterial.ParseText(text.AsSpan(0, chars))
                ?? throw VaultErrors.RootKeyUnavailable(
                    $"the key file '{path}' must hold a 32-byte key as 32 raw bytes, 64 hexadecimal characters or base64");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(content);
            if (text is not null)
            {
                Array.Clear(text);
            }
        }
    }

    private static byte[] ReadVariable(string name)
    {
        // A .NET string cannot be wiped: the process environment already holds this value in clear anyway.
        var value = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrEmpty(value))
        {
            throw VaultErrors.RootKeyUnavailable($"the environment variable '{name}' is not set");
        }

        return KeyMaterial.ParseText(value)
            ?? throw VaultErrors.RootKeyUnavailable(
                $"the environment variable '{name}' must hold a 32-byte key as 64 hexadecimal characters or base64");
    }
}
