using System.Collections.Concurrent;
using KeyVault.Embedded.Keys.Cryptography;

namespace KeyVault.Embedded.AspNetCore.Rest;

/// <summary>
/// The vault's cryptography clients the key operations run through, one per key name and version (or none: the
/// current one), kept across requests. A client loads (unseals) its key once and checks, on every call, the caller's
/// access (the vault's operation pipeline), the key's state (enabled, allowed operations, validity dates) and, when the
/// vault has changed since, the key again (rotation, deletion, new properties), so one client serves every request and
/// caller. A client made per request instead unsealed and loaded the key on each request.
/// </summary>
/// <remarks>
/// A client is kept only after an operation through it succeeded (names that do not exist, or that the caller may not
/// use, do not fill the cache), and at most <see cref="Capacity"/> of them: past that, a request gets a client of its
/// own, disposed when its operation is done, as before. Kept clients are never disposed here (another request may be
/// using one); the vault retires the key material they hold when it closes, or when their key is deleted or rotated.
/// </remarks>
internal sealed class CryptographyClientCache
{
    /// <summary>The most clients kept.</summary>
    public const int Capacity = 256;

    private readonly ConcurrentDictionary<(string Name, string? Version), CryptographyClient> _clients = new();
    private EmbeddedVault? _vault;

    /// <summary>Runs <paramref name="operation"/> with the client of the request's key (route values name and version).</summary>
    public async Task<TResult> RunAsync<TResult>(RestRequest r, Func<CryptographyClient, Task<TResult>> operation)
    {
        var key = (r.Route("name"), r.OptionalRoute("version"));
        var vault = r.Vault;
        var mine = ReferenceEquals(Volatile.Read(ref _vault) ?? Interlocked.CompareExchange(ref _vault, vault, null) ?? vault, vault);
        if (mine && _clients.TryGetValue(key, out var kept))
        {
            return await operation(kept).ConfigureAwait(false);
        }

        var client = vault.Keys.GetCryptographyClient(key.Item1, key.Item2);
        TResult result;
        try
        {
            result = await operation(client).ConfigureAwait(false);
        }
        catch
        {
            client.Dispose();
            throw;
        }

        if (!mine || _clients.Count >= Capacity || !_clients.TryAdd(key, client))
        {
            client.Dispose();
        }

        return result;
    }
}
