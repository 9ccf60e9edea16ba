using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Secrets;

/// <summary>
/// <see cref="ISecretStore"/> over the shared lifecycle: converts values to sealed UTF-8 payloads and attributes
/// to <see cref="SecretProperties"/>, and enforces the rules that are particular to secrets (value size, content type,
/// disabled versions).
/// </summary>
internal sealed class SecretStore : ISecretStore
{
    /// <summary>Azure's limit on a secret value: 25 KiB.</summary>
    public const int MaxValueBytes = 25 * 1024;

    /// <summary>Azure's limit on a content type.</summary>
    public const int MaxContentTypeLength = 255;

    private const ObjectType Type = ObjectType.Secret;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly VaultCore _core;
    private readonly ObjectLifecycle _lifecycle;
    private readonly OperationPipeline _operations;

    public SecretStore(VaultCore core, ObjectLifecycle lifecycle, OperationPipeline operations)
    {
        _core = core;
        _lifecycle = lifecycle;
        _operations = operations;
    }

    public Task<KeyVaultSecret> SetSecretAsync(string name, string value, CancellationToken cancellationToken = default) =>
        SetSecretAsync(new KeyVaultSecret(name, value), cancellationToken);

    public Task<KeyVaultSecret> SetSecretAsync(KeyVaultSecret secret, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return _operations.RunAsync(VaultOperation.SecretSet, Type, secret.Name, (this, secret), static s => s.Item1.Set(s.secret), cancellationToken).AsTask();
    }

    public ValueTask<KeyVaultSecret> GetSecretAsync(string name, string? version = null, CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.SecretGet, Type, name, (this, name, version), static s => s.Item1.Get(s.name, s.version), cancellationToken);

    public Task<SecretProperties> UpdateSecretPropertiesAsync(SecretProperties properties, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(properties);
        return _operations.RunAsync(VaultOperation.SecretUpdate, Type, properties.Name, (this, properties), static s => s.Item1.Update(s.properties), cancellationToken).AsTask();
    }

    public async IAsyncEnumerable<SecretProperties> GetPropertiesOfSecretsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var versions = _operations.Run(VaultOperation.SecretList, Type, null, _lifecycle, static l => l.ListCurrent(Type), cancellationToken);
        foreach (var version in versions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return ToProperties(version);
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public async IAsyncEnumerable<SecretProperties> GetPropertiesOfSecretVersionsAsync(string name, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var versions = _operations.Run(VaultOperation.SecretListVersions, Type, name, (_lifecycle, name), static s =>
        {
            ObjectRules.ValidateName(Type, s.name);
            return s._lifecycle.ListVersions(Type, s.name);
        }, cancellationToken);
        foreach (var version in versions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return ToProperties(version);
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<DeletedSecret> DeleteSecretAsync(string name, CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.SecretDelete, Type, name, (this, name), static s =>
        {
            ObjectRules.ValidateName(Type, s.name);
            return s.Item1.ToDeleted(s.Item1._lifecycle.Delete(Type, s.name));
        }, cancellationToken).AsTask();

    public Task<DeletedSecret> GetDeletedSecretAsync(string name, CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.SecretGetDeleted, Type, name, (this, name), static s =>
        {
            ObjectRules.ValidateName(Type, s.name);
            return s.Item1.ToDeleted(s.Item1._lifecycle.GetDeleted(Type, s.name));
        }, cancellationToken).AsTask();

    public async IAsyncEnumerable<DeletedSecret> GetDeletedSecretsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var versions = _operations.Run(VaultOperation.SecretListDeleted, Type, null, _lifecycle, static l => l.ListDeleted(Type), cancellationToken);
        foreach (var version in versions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return ToDeleted(version);
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<SecretProperties> RecoverDeletedSecretAsync(string name, CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.SecretRecover, Type, name, (this, name), static s =>
        {
            ObjectRules.ValidateName(Type, s.name);
            return s.Item1.ToProperties(s.Item1._lifecycle.Recover(Type, s.name));
        }, cancellationToken).AsTask();

    public Task PurgeDeletedSecretAsync(string name, CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.SecretPurge, Type, name, (_lifecycle, name), static s =>
        {
            ObjectRules.ValidateName(Type, s.name);
            s._lifecycle.Purge(Type, s.name);
            return true;
        }, cancellationToken).AsTask();

    private KeyVaultSecret Set(KeyVaultSecret secret)
    {
        var properties = secret.Properties;
        ObjectRules.ValidateName(Type, secret.Name);
        ValidateContentType(properties.ContentType);
        ObjectRules.ValidateTags(properties.TagsOrNull);
        ObjectRules.ValidateDates(properties.NotBefore, properties.ExpiresOn);

        int byteCount;
        try
        {
            byteCount = StrictUtf8.GetByteCount(secret.Value);
        }
        catch (EncoderFallbackException)
        {
            throw VaultErrors.BadParameter($"The value of secret '{secret.Name}' is not valid Unicode text (it holds an unpaired surrogate).");
        }

        if (byteCount > MaxValueBytes)
        {
            throw VaultErrors.BadParameter($"The value of secret '{secret.Name}' is {byteCount} bytes as UTF-8; the limit is {MaxValueBytes} bytes (25 KiB).");
        }

        var attributes = new RecordAttributes
        {
            Enabled = properties.Enabled ?? true,
            NotBefore = RecordAttributes.ToUnix(properties.NotBefore),
            ExpiresOn = RecordAttributes.ToUnix(properties.ExpiresOn),
            ContentType = properties.ContentType,
            Tags = CopyTags(properties.TagsOrNull),
        };

        var buffer = ArrayPool<byte>.Shared.Rent(byteCount);
        try
        {
            var written = StrictUtf8.GetBytes(secret.Value, buffer);
            var created = _lifecycle.CreateVersion(Type, secret.Name, attributes, buffer.AsSpan(0, written));
            return new KeyVaultSecret(ToProperties(created), secret.Value);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, byteCount));
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private KeyVaultSecret Get(string name, string? version)
    {
        ObjectRules.ValidateName(Type, name);
        var found = version is null ? _lifecycle.GetCurrent(Type, name) : _lifecycle.GetVersion(Type, name, version);
        var length = ObjectLifecycle.PayloadLength(found);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            // Unseal first: it authenticates the attributes too, so an edited "enabled" flag reads as an integrity
            // failure rather than as a disabled secret.
            _lifecycle.Unseal(found, buffer.AsSpan(0, length));
            if (!found.Attributes.Enabled)
            {
                throw VaultErrors.Disabled(Type, found.Name, "get");
            }

            string value;
            try
            {
                value = StrictUtf8.GetString(buffer, 0, length);
            }
            catch (DecoderFallbackException ex)
            {
                throw VaultErrors.Integrity(Type, found.Name, found.Version, ex);
            }

            return new KeyVaultSecret(ToProperties(found), value);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private SecretProperties Update(SecretProperties properties)
    {
        ObjectRules.ValidateName(Type, properties.Name);
        ValidateContentType(properties.ContentType);
        ObjectRules.ValidateTags(properties.TagsOrNull);
        var updated = _lifecycle.UpdateAttributes(Type, properties.Name, properties.Version, current =>
        {
            var next = current with
            {
                Enabled = properties.Enabled ?? current.Enabled,
                NotBefore = properties.NotBefore is { } nbf ? RecordAttributes.ToUnix(nbf) : current.NotBefore,
                ExpiresOn = properties.ExpiresOn is { } exp ? RecordAttributes.ToUnix(exp) : current.ExpiresOn,
                ContentType = properties.ContentType ?? current.ContentType,
                Tags = properties.TagsTouched ? CopyTags(properties.TagsOrNull) : current.Tags,
            };
            ObjectRules.ValidateDates(RecordAttributes.FromUnix(next.NotBefore), RecordAttributes.FromUnix(next.ExpiresOn));
            return next;
        });
        return ToProperties(updated);
    }

    private SecretProperties ToProperties(ObjectVersion version)
    {
        var attributes = version.Attributes;
        var header = _core.Header;
        return new SecretProperties(version.Name)
        {
            Version = version.Version,
            VaultUri = _core.Uri,
            Enabled = attributes.Enabled,
            NotBefore = RecordAttributes.FromUnix(attributes.NotBefore),
            ExpiresOn = RecordAttributes.FromUnix(attributes.ExpiresOn),
            ContentType = attributes.ContentType,
            CreatedOn = RecordAttributes.FromUnix(attributes.Created),
            UpdatedOn = RecordAttributes.FromUnix(attributes.Updated),
            RecoverableDays = header.SoftDeleteRetentionDays,
            RecoveryLevel = RecoveryLevels.For(header.SoftDeleteRetentionDays, header.PurgeProtection),
            StoredTags = attributes.Tags,
        };
    }

    private DeletedSecret ToDeleted(ObjectVersion version) => new(
        ToProperties(version),
        new Uri(_core.Uri, $"deletedsecrets/{version.Name}"),
        RecordAttributes.FromUnix(version.Object.DeletedOn!.Value),
        RecordAttributes.FromUnix(version.Object.ScheduledPurgeDate!.Value));

    private static void ValidateContentType(string? contentType)
    {
        if (contentType is { Length: > MaxContentTypeLength })
        {
            throw VaultErrors.BadParameter($"The content type is {contentType.Length} characters; the limit is {MaxContentTypeLength}.");
        }
    }

    private static Dictionary<string, string>? CopyTags(IReadOnlyDictionary<string, string>? tags) =>
        tags is null || tags.Count == 0 ? null : new Dictionary<string, string>(tags, StringComparer.Ordinal);
}
