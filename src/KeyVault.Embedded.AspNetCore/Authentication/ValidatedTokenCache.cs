using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace KeyVault.Embedded.AspNetCore.Authentication;

/// <summary>
/// Tokens a token handler accepted, for a short while: the same token is accepted again without its signature,
/// issuer and audience being checked again until the sooner of its own expiry and the cache's duration. Keyed by the
/// SHA-256 of the token (the token itself is not kept); only accepted tokens whose expiry is known are kept, at most
/// <see cref="Capacity"/> of them; every hit gets a copy of the claims identity, so that one request's changes to it
/// (claims transformation, events) never reach another's.
/// </summary>
internal sealed class ValidatedTokenCache
{
    public const int Capacity = 4096;

    private readonly ConcurrentDictionary<TokenHash, Entry> _entries = new();
    private readonly TimeProvider _time;

    public ValidatedTokenCache(TimeSpan duration, TimeProvider time)
    {
        if (duration <= TimeSpan.Zero || duration > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(duration), "The validated-token cache's duration must be more than zero and at most one hour.");
        }

        Duration = duration;
        _time = time;
    }

    public TimeSpan Duration { get; }

    /// <summary>A copy of what validating <paramref name="token"/> gave, while it is in its window; null otherwise.</summary>
    public TokenValidationResult? Find(string token)
    {
        if (!_entries.TryGetValue(Hash(token), out var entry))
        {
            return null;
        }

        if (_time.GetUtcNow() >= entry.Until)
        {
            return null;
        }

        return new TokenValidationResult
        {
            IsValid = true,
            SecurityToken = entry.Token,
            ClaimsIdentity = entry.Identity.Clone(),
            TokenType = entry.TokenType,
        };
    }

    /// <summary>Keeps an accepted token until the sooner of its expiry and the duration.</summary>
    public void Add(string token, TokenValidationResult result)
    {
        if (!result.IsValid || result.SecurityToken is not { } validated || result.ClaimsIdentity is not { } identity || validated.ValidTo == DateTime.MinValue)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var expires = new DateTimeOffset(DateTime.SpecifyKind(validated.ValidTo, DateTimeKind.Utc));
        var until = expires < now + Duration ? expires : now + Duration;
        if (until <= now)
        {
            return;
        }

        if (_entries.Count >= Capacity)
        {
            foreach (var (key, value) in _entries)
            {
                if (value.Until <= now)
                {
                    _entries.TryRemove(key, out _);
                }
            }

            if (_entries.Count >= Capacity)
            {
                _entries.Clear();
            }
        }

        _entries[Hash(token)] = new Entry(validated, identity.Clone(), result.TokenType, until);
    }

    private static TokenHash Hash(string token)
    {
        var max = Encoding.UTF8.GetMaxByteCount(token.Length);
        var rented = max <= 2048 ? null : new byte[max];
        Span<byte> bytes = rented ?? stackalloc byte[2048];
        var length = Encoding.UTF8.GetBytes(token, bytes);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes[..length], hash);
        var words = MemoryMarshal.Cast<byte, ulong>(hash);
        return new TokenHash(words[0], words[1], words[2], words[3]);
    }

    private readonly record struct TokenHash(ulong A, ulong B, ulong C, ulong D);

    private sealed record Entry(SecurityToken Token, ClaimsIdentity Identity, string? TokenType, DateTimeOffset Until);
}
