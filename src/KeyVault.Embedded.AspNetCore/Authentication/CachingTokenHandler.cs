using Microsoft.IdentityModel.Tokens;

namespace KeyVault.Embedded.AspNetCore.Authentication;

/// <summary>A token handler that asks <see cref="ValidatedTokenCache"/> before the handler it wraps, and feeds it what that handler accepts.</summary>
internal sealed class CachingTokenHandler(TokenHandler inner, ValidatedTokenCache cache) : TokenHandler
{
    public TokenHandler Inner => inner;

    public override int MaximumTokenSizeInBytes
    {
        get => inner.MaximumTokenSizeInBytes;
        set => inner.MaximumTokenSizeInBytes = value;
    }

    public override SecurityToken ReadToken(string token) => inner.ReadToken(token);

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(validationParameters);
        var applies = ValidatedTokenCache.Applies(token, validationParameters);
        if (applies && cache.Find(token, validationParameters) is { } known)
        {
            return known;
        }

        var result = await inner.ValidateTokenAsync(token, validationParameters).ConfigureAwait(false);
        if (applies)
        {
            cache.Add(token, validationParameters, result);
        }

        return result;
    }

    public override Task<TokenValidationResult> ValidateTokenAsync(SecurityToken token, TokenValidationParameters validationParameters) =>
        inner.ValidateTokenAsync(token, validationParameters);

    public override string ToString() => $"CachingTokenHandler({inner})";
}
