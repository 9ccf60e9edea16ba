using System.Buffers;
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
    private readonly ObjectStoreOperations _shared;

    public SecretStore(VaultCore core, ObjectLifecycle lifecycle, OperationPipeline operations)
    {
        _core = core;
        _lifecycle = lifecycle;
        _operations = operations;
        _shared = new ObjectStoreOperations(core, Type, lifecycle, operations);
    }

    public Task<KeyVaultSecret> SetSecretAsync(string name, string value, CancellationToken cancellationToken = default) =>
        SetSecretAsync(new KeyVaultSecret(name, value), cancellationToken);

    public Task<KeyVaultSecret> SetSecretAsync(KeyVaultSecret secret, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Value is null)
        {
            // A DeletedSecret is a KeyVaultSecret with no value.
            throw VaultErrors.BadParameter($"Secret '{secret.Name}' has no value to set (a deleted secret carries none).");
        }

        return _operations.RunAsync(VaultOperation.SecretSet, Type, secret.Name, (this, secret, cancellationToken), static s => s.Item1.SetAsync(s.secret, s.cancellationToken), cancellationToken).AsTask();
    }

    public Uri VaultUri => _core.Uri;

    public Task<KeyVaultSecret> GetSecretAsync(string name, string? version, CancellationToken cancellationToken) =>
        GetSecretAsync(name, version, null, cancellationToken);

    public Task<KeyVaultSecret> GetSecretAsync(string name, string? version = null, SecretContentType? outContentType = null, CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.SecretGet, Type, name, (this, name, version, outContentType, cancellationToken), static s => s.Item1.GetAsync(s.name, s.version, s.outContentType, s.cancellationToken), cancellationToken).AsTask();

    public Task<SecretProperties> UpdateSecretPropertiesAsync(SecretProperties properties, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(properties);
        return _operations.RunAsync(VaultOperation.SecretUpdate, Type, properties.Name, (this, properties, cancellationToken), static s => s.Item1.UpdateAsync(s.properties, s.cancellationToken), cancellationToken).AsTask();
    }

    public IAsyncEnumerable<SecretProperties> GetPropertiesOfSecretsAsync(CancellationToken cancellationToken = default) =>
        _shared.ListAsync(ToProperties, cancellationToken);

    public IAsyncEnumerable<SecretProperties> GetPropertiesOfSecretVersionsAsync(string name, CancellationToken cancellationToken = default) =>
        _shared.ListVersionsAsync(name, ToProperties, cancellationToken);

    public async Task<DeleteSecretOperation> StartDeleteSecretAsync(string name, CancellationToken cancellationToken = default) =>
        new(await _shared.DeleteAsync(name, ToDeleted, cancellationToken).ConfigureAwait(false));

    public Task<DeletedSecret> GetDeletedSecretAsync(string name, CancellationToken cancellationToken = default) =>
        _shared.GetDeletedAsync(name, ToDeleted, cancellationToken);

    public IAsyncEnumerable<DeletedSecret> GetDeletedSecretsAsync(CancellationToken cancellationToken = default) =>
        _shared.ListDeletedAsync(ToDeleted, cancellationToken);

    public async Task<RecoverDeletedSecretOperation> StartRecoverDeletedSecretAsync(string name, CancellationToken cancellationToken = default) =>
        new(await _shared.RecoverAsync(name, ToProperties, cancellationToken).ConfigureAwait(false));

    public Task PurgeDeletedSecretAsync(string name, CancellationToken cancellationToken = default) =>
        _shared.PurgeAsync(name, cancellationToken);

    public Task<byte[]> BackupSecretAsync(string name, CancellationToken cancellationToken = default) =>
        _shared.BackupAsync(VaultOperation.SecretBackup, name, cancellationToken);

    public Task<SecretProperties> RestoreSecretBackupAsync(byte[] backup, CancellationToken cancellationToken = default) =>
        _shared.RestoreAsync(VaultOperation.SecretRestore, backup, ToProperties, cancellationToken);

    private async ValueTask<KeyVaultSecret> SetAsync(KeyVaultSecret secret, CancellationToken cancellationToken)
    {
        var properties = secret.Properties;
        ObjectRules.ValidateName(Type, secret.Name);
        ValidateContentType(properties.ContentType);
        var attributes = properties.ToNewAttributes() with { ContentType = properties.ContentType };

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

        var buffer = ArrayPool<byte>.Shared.Rent(byteCount);
        try
        {
            var written = StrictUtf8.GetBytes(secret.Value, buffer);
            var created = await _lifecycle.CreateVersionAsync(Type, secret.Name, attributes, buffer.AsMemory(0, written), cancellationToken: cancellationToken).ConfigureAwait(false);
            return new KeyVaultSecret(ToProperties(created), secret.Value);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, byteCount));
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask<KeyVaultSecret> GetAsync(string name, string? version, SecretContentType? outContentType, CancellationToken cancellationToken)
    {
        ObjectRules.ValidateName(Type, name);
        if (outContentType is { } wanted && wanted != SecretContentType.Pem && wanted != SecretContentType.Pkcs12)
        {
            throw VaultErrors.BadParameter($"The output content type '{wanted}' is not supported: use {SecretContentType.Pem} or {SecretContentType.Pkcs12}.");
        }

        var found = version is null
            ? await _lifecycle.GetCurrentAsync(Type, name, cancellationToken).ConfigureAwait(false)
            : await _lifecycle.GetVersionAsync(Type, name, version, cancellationToken).ConfigureAwait(false);
        var secret = Read(found);
        return outContentType is { } target ? SecretFormats.Convert(secret, target) : secret;
    }

    private KeyVaultSecret Read(ObjectVersion found)
    {
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

    private async ValueTask<SecretProperties> UpdateAsync(SecretProperties properties, CancellationToken cancellationToken)
    {
        ObjectRules.ValidateName(Type, properties.Name);
        ValidateContentType(properties.ContentType);
        ObjectRules.ValidateTags(properties.TagsOrNull);
        var updated = await _lifecycle.UpdateAttributesAsync(Type, properties.Name, properties.Version, current =>
            properties.ApplyTo(current) with { ContentType = properties.ContentType ?? current.ContentType }, properties.Revision, cancellationToken).ConfigureAwait(false);
        properties.Revision = updated.Stored.Revision;
        return ToProperties(updated);
    }

    private SecretProperties ToProperties(ObjectVersion version)
    {
        var properties = new SecretProperties(version.Name) { ContentType = version.Attributes.ContentType };
        properties.Fill(version, _core);
        if (properties.Managed)
        {
            properties.KeyId = new Uri(_core.Uri, $"keys/{version.Name}/{version.Version}");
        }

        return properties;
    }

    private DeletedSecret ToDeleted(ObjectVersion version) => new(
        ToProperties(version),
        null,
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
}
