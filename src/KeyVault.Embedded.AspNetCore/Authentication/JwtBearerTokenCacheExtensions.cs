using KeyVault.Embedded.AspNetCore.Authentication;

namespace Microsoft.AspNetCore.Authentication.JwtBearer;

/// <summary>Keeps validated bearer tokens for a short while, so that a client resending its token is not checked again each request.</summary>
public static class JwtBearerTokenCacheExtensions
{
    /// <summary>
    /// Wraps each of the options' token handlers so that a token it accepted is accepted again, without its signature,
    /// issuer, audience and lifetime being checked again, until the sooner of the token's own expiry and
    /// <paramref name="duration"/>. A client (an Azure SDK) sends the same token for its whole lifetime, and the
    /// signature check is most of a small request's cost. Refused tokens are never kept. The cache stands aside (every
    /// token is checked) when replay detection is on or a validator is a delegate (it may depend on the request), and
    /// for tokens over 8,192 characters. Call it last in <c>AddJwtBearer(o => ...)</c>, after the token handlers are set.
    /// </summary>
    /// <param name="options">The JwtBearer options.</param>
    /// <param name="duration">
    /// How long an accepted token is trusted without a check: more than zero, at most one hour. Default one minute. The
    /// limit: a token the host would now refuse (its signing key dropped from the validation parameters, the issuer's
    /// keys rolled) is still accepted for up to this long after the change.
    /// </param>
    /// <param name="timeProvider">The clock of the windows; default the system's.</param>
    /// <returns><paramref name="options"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is zero, negative or over an hour.</exception>
    /// <exception cref="InvalidOperationException">The options use the legacy <c>SecurityTokenValidators</c>, which the cache cannot wrap.</exception>
    public static JwtBearerOptions UseValidatedTokenCache(this JwtBearerOptions options, TimeSpan? duration = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.UseSecurityTokenValidators)
        {
            throw new InvalidOperationException("UseValidatedTokenCache wraps JwtBearerOptions.TokenHandlers, which JwtBearer does not use while UseSecurityTokenValidators is true.");
        }

        var cache = new ValidatedTokenCache(duration ?? TimeSpan.FromMinutes(1), timeProvider ?? TimeProvider.System);
        for (var i = 0; i < options.TokenHandlers.Count; i++)
        {
            var handler = options.TokenHandlers[i];
            options.TokenHandlers[i] = new CachingTokenHandler(handler is CachingTokenHandler cached ? cached.Inner : handler, cache);
        }

        return options;
    }
}
