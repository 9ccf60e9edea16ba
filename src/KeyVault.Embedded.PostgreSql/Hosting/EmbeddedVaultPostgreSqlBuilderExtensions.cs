using KeyVault.Embedded;
using KeyVault.Embedded.Hosting;
using KeyVault.Embedded.PostgreSql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Keeps a registered vault in PostgreSQL, shared by every instance of the app.</summary>
public static class EmbeddedVaultPostgreSqlBuilderExtensions
{
    /// <summary>The section under the vault's settings that this reads: <c>PostgreSql</c>.</summary>
    public const string SectionName = "PostgreSql";

    /// <summary>
    /// Keeps the vault in PostgreSQL instead of a file (leave <c>Path</c> unset). Settings are bound from the vault's
    /// <c>PostgreSql</c> section (when <c>AddEmbeddedVault</c> was given configuration), then
    /// <paramref name="configure"/>; they are validated when the host starts, with messages naming the setting. With no
    /// connection string and no data source set, the <see cref="NpgsqlDataSource"/> registered in the services is used
    /// (for example by <c>AddNpgsqlDataSource</c>).
    /// </summary>
    /// <param name="builder">What <c>AddEmbeddedVault</c> returned.</param>
    /// <param name="configure">Sets or changes the settings.</param>
    /// <returns>The builder.</returns>
    public static EmbeddedVaultBuilder UsePostgreSql(this EmbeddedVaultBuilder builder, Action<PostgreSqlVaultOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var settings = builder.Services.AddOptions<PostgreSqlVaultOptions>();
        if (builder.Configuration is { } vaultSection)
        {
            // Bound through a type without the data source (an object no configuration can hold).
            settings.Configure(options =>
            {
                var bound = new Bindable();
                vaultSection.GetSection(SectionName).Bind(bound);
                options.ConnectionString = bound.ConnectionString ?? options.ConnectionString;
                options.ConnectionStringName = bound.ConnectionStringName ?? options.ConnectionStringName;
                options.Schema = bound.Schema ?? options.Schema;
                options.VaultName = bound.VaultName ?? options.VaultName;
                options.PollInterval = bound.PollInterval ?? options.PollInterval;
            });
        }

        if (configure is not null)
        {
            settings.Configure(configure);
        }

        var path = $"{builder.SectionPath}:{SectionName}";
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgreSqlVaultOptions>>(new SettingsValidator<PostgreSqlVaultOptions>(path, s => s.Problems(dependencyInjection: true))));
        builder.Services.AddOptions<EmbeddedVaultOptions>().PostConfigure<IServiceProvider>((options, provider) =>
        {
            var postgreSql = provider.GetRequiredService<IOptions<PostgreSqlVaultOptions>>().Value;
            string? connectionString = null;
            if (!string.IsNullOrWhiteSpace(postgreSql.ConnectionStringName))
            {
                connectionString = provider.GetService<IConfiguration>()?.GetConnectionString(postgreSql.ConnectionStringName)
                    ?? throw VaultErrors.BadParameter($"{path}:ConnectionStringName names '{postgreSql.ConnectionStringName}', which the configuration's ConnectionStrings section does not hold.");
            }
            else if (postgreSql.DataSource is null && string.IsNullOrWhiteSpace(postgreSql.ConnectionString))
            {
                postgreSql.DataSource = provider.GetService<NpgsqlDataSource>()
                    ?? throw VaultErrors.BadParameter($"{path}:ConnectionString is required: the database to keep the vault in (or ConnectionStringName, or an NpgsqlDataSource registered in the services).");
            }

            options.StoreProvider ??= new PostgreSqlStoreProvider(postgreSql, connectionString);
        });
        return builder;
    }

    /// <summary>Keeps the vault in the PostgreSQL database <paramref name="connectionString"/> names.</summary>
    /// <param name="builder">What <c>AddEmbeddedVault</c> returned.</param>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <returns>The builder.</returns>
    public static EmbeddedVaultBuilder UsePostgreSql(this EmbeddedVaultBuilder builder, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UsePostgreSql(o => o.ConnectionString = connectionString);
    }

    /// <summary>What configuration can say of <see cref="PostgreSqlVaultOptions"/>.</summary>
    internal sealed class Bindable
    {
        public string? ConnectionString { get; set; }

        public string? ConnectionStringName { get; set; }

        public string? Schema { get; set; }

        public string? VaultName { get; set; }

        public TimeSpan? PollInterval { get; set; }
    }
}
