using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace KeyVault.Embedded.AspNetCore.Authentication;

/// <summary>
/// Tokens a token handler accepted, for a short while: the same token, under the same issuers and audiences, is
/// accepted again without its signature, issuer and audience being checked again until the sooner of its own expiry
/// and the cache's duration. Keyed by the SHA-256 of the token's exact characters and of the validation parameters'
/// issuers and audiences; the parsed token is held for the window (the raw string is part of it). Only accepted
/// tokens whose expiry is known are kept, at most <see cref="MaxTokenLength"/> characters each and at most
/// <see cref="Capacity"/> of them: when full, expired entries go and new tokens are not kept until there is room, so
/// many tokens cannot push out the ones already kept. Every hit gets a copy of the claims identity, so that one
/// request's changes to it (claims transformation, events) never reach another's.
/// </summary>
internal sealed class ValidatedTokenCache
{
    public const int Capacity = 4096;

    public const int MaxTokenLength = 8192;

    private readonly ConcurrentDictionary<Key, Entry> _entries = new();
    private readonly TimeProvider _time;
    private int _count;

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

    /// <summary>
    /// Whether a check under <paramref name="parameters"/> may be answered from the cache: not when a validator is a
    /// delegate (it may depend on the request) or replay detection is on (a token meant once must be checked each time).
    /// </summary>
    public static bool Applies(string token, TokenValidationParameters parameters) =>
        token.Length <= MaxTokenLength
        && parameters.TokenReplayCache is null && !parameters.ValidateTokenReplay
        && parameters.IssuerValidator is null && parameters.AudienceValidator is null && parameters.LifetimeValidator is null
        && parameters.SignatureValidator is null && parameters.IssuerSigningKeyValidator is null && parameters.TokenReplayValidator is null
        && parameters.AlgorithmValidator is null && parameters.TypeValidator is null && parameters.TokenReader is null;

    /// <summary>A copy of what validating <paramref name="token"/> gave, while it is in its window; null otherwise.</summary>
    public TokenValidationResult? Find(string token, TokenValidationParameters parameters)
    {
        var key = KeyOf(token, parameters);
        if (!_entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (_time.GetUtcNow() >= entry.Until)
        {
            Remove(key);
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

    /// <summary>Keeps an accepted token until the sooner of its expiry and the duration, if there is room.</summary>
    public void Add(string token, TokenValidationParameters parameters, TokenValidationResult result)
    {
        if (!result.IsValid || result.SecurityToken is not { } validated || result.ClaimsIdentity is not { } identity || validated.ValidTo == DateTime.MinValue)
        {
            return;
        }

        var now = _time.GetUtcNow();
        var validTo = validated.ValidTo.Kind == DateTimeKind.Local ? validated.ValidTo.ToUniversalTime() : DateTime.SpecifyKind(validated.ValidTo, DateTimeKind.Utc);
        var expires = new DateTimeOffset(validTo);
        var until = expires < now + Duration ? expires : now + Duration;
        if (until <= now)
        {
            return;
        }

        if (Volatile.Read(ref _count) >= Capacity)
        {
            foreach (var (key, value) in _entries)
            {
                if (value.Until <= now)
                {
                    Remove(key);
                }
            }

            if (Volatile.Read(ref _count) >= Capacity)
            {
                return;
            }
        }

        if (_entries.TryAdd(KeyOf(token, parameters), new Entry(validated, identity.Clone(), result.TokenType, until)))
        {
            Interlocked.Increment(ref _count);
        }
    }

    private void Remove(Key key)
    {
        if (_entries.TryRemove(key, out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>The token's exact characters (UTF-16, no re-encoding) and the issuers and audiences it was checked against.</summary>
    private static Key KeyOf(string token, TokenValidationParameters parameters)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(MemoryMarshal.AsBytes(token.AsSpan()));
        Append(hash, parameters.ValidIssuer);
        foreach (var issuer in parameters.ValidIssuers ?? [])
        {
            Append(hash, issuer);
        }

        Append(hash, parameters.ValidAudience);
        foreach (var audience in parameters.ValidAudiences ?? [])
        {
            Append(hash, audience);
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        hash.GetHashAndReset(digest);
        var words = MemoryMarshal.Cast<byte, ulong>(digest);
        return new Key(words[0], words[1], words[2], words[3]);
    }

    private static void Append(IncrementalHash hash, string? value)
    {
        // Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, value?.Length ?? -1);
        hash.AppendData(length);
        hash.AppendData(MemoryMarshal.AsBytes((value ?? string.Empty).AsSpan()));
    }

    private readonly record struct Key(ulong A, ulong B, ulong C, ulong D);

    private sealed record Entry(SecurityToken Token, ClaimsIdentity Identity, string? TokenType, DateTimeOffset Until);
}
