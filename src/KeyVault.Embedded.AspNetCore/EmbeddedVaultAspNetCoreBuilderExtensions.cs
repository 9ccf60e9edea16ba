using KeyVault.Embedded.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace KeyVault.Embedded.AspNetCore;

/// <summary>ASP.NET Core additions to <c>AddEmbeddedVault</c>.</summary>
public static class EmbeddedVaultAspNetCoreBuilderExtensions
{
    /// <summary>
    /// Makes each request's authenticated user the vault's caller (<see cref="HttpContextVaultCallerAccessor"/>), so
    /// access control decides per request: <c>services.AddEmbeddedVault(...).UseHttpContextCaller()</c>.
    /// </summary>
    /// <param name="builder">The vault's registration.</param>
    /// <returns>The builder.</returns>
    public static EmbeddedVaultBuilder UseHttpContextCaller(this EmbeddedVaultBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddOptions<EmbeddedVaultOptions>().Configure<IHttpContextAccessor>((options, http) => options.CallerAccessor = new HttpContextVaultCallerAccessor(http));
        return builder;
    }
}
