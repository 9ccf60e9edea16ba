using System.Security.Cryptography;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Lifecycle;
using KeyVault.Embedded.Operations;

namespace KeyVault.Embedded.Keys;

/// <summary>
/// <see cref="IKeyStore"/> over the shared lifecycle: generates and imports keys, seals their private or symmetric
/// material like any payload, keeps the public key in the version's (authenticated) attributes, and evaluates rotation
/// policies.
/// </summary>
internal sealed class KeyStore : IKeyStore
{
    public const int MaxRandomBytes = 128;
    private const ObjectType Type = ObjectType.Key;

    private readonly VaultCore _core;
    private readonly ObjectLifecycle _lifecycle;
    private readonly OperationPipeline _operations;
    private readonly ObjectStoreOperations _shared;

    public KeyStore(VaultCore core, ObjectLifecycle lifecycle, OperationPipeline operations)
    {
        _core = core;
        _lifecycle = lifecycle;
        _operations = operations;
        _shared = new ObjectStoreOperations(core, Type, lifecycle, operations);
    }

    public Task<KeyVaultKey> CreateKeyAsync(string name, KeyType keyType, CreateKeyOptions? options = null, CancellationToken cancellationToken = default) =>
        CreateAsync(new KeyRequest(name, keyType, options ?? new CreateKeyOptions(), null, null, null), cancellationToken);

    public Task<KeyVaultKey> CreateRsaKeyAsync(CreateRsaKeyOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CreateAsync(new KeyRequest(options.Name, options.HardwareProtected ? KeyType.RsaHsm : KeyType.Rsa, options, options.KeySize, null, options.PublicExponent), cancellationToken);
    }

    public Task<KeyVaultKey> CreateEcKeyAsync(CreateEcKeyOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CreateAsync(new KeyRequest(options.Name, options.HardwareProtected ? KeyType.EcHsm : KeyType.Ec, options, null, options.CurveName, null), cancellationToken);
    }

    public Task<KeyVaultKey> CreateOctKeyAsync(CreateOctKeyOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return CreateAsync(new KeyRequest(options.Name, options.HardwareProtected ? KeyType.OctHsm : KeyType.Oct, options, options.KeySize, null, null), cancellationToken);
    }

    public Task<KeyVaultKey> ImportKeyAsync(string name, JsonWebKey key, CancellationToken cancellationToken = default) =>
        ImportKeyAsync(new ImportKeyOptions(name, key), cancellationToken);

    public Task<KeyVaultKey> ImportKeyAsync(ImportKeyOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return _operations.RunAsync(VaultOperation.KeyImport, Type, options.Name, (this, options, cancellationToken), static s => s.Item1.ImportAsync(s.options, s.cancellationToken), cancellationToken).AsTask();
    }

    public Uri VaultUri => _core.Uri;

    public Task<KeyVaultKey> GetKeyAsync(string name, string? version = null, CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.KeyGet, Type, name, (this, name, version, cancellationToken), static async s =>
        {
            ObjectRules.ValidateName(Type, s.name);
            var lifecycle = s.Item1._lifecycle;
            return s.Item1.ToKey(s.version is null
                ? await lifecycle.GetCurrentAsync(Type, s.name, s.cancellationToken).ConfigureAwait(false)
                : await lifecycle.GetVersionAsync(Type, s.name, s.version, s.cancellationToken).ConfigureAwait(false));
        }, cancellationToken).AsTask();

    public IAsyncEnumerable<KeyProperties> GetPropertiesOfKeysAsync(CancellationToken cancellationToken = default) =>
        _shared.ListAsync(ToProperties, cancellationToken);

    public IAsyncEnumerable<KeyProperties> GetPropertiesOfKeyVersionsAsync(string name, CancellationToken cancellationToken = default) =>
        _shared.ListVersionsAsync(name, ToProperties, cancellationToken);

    public Task<KeyVaultKey> UpdateKeyPropertiesAsync(KeyProperties properties, IEnumerable<KeyOperation>? keyOperations = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(properties);
        var operations = keyOperations?.ToList();
        return _operations.RunAsync(VaultOperation.KeyUpdate, Type, properties.Name, (this, properties, operations, cancellationToken), static async s =>
        {
            ObjectRules.ValidateName(Type, s.properties.Name);
            ObjectRules.ValidateTags(s.properties.TagsOrNull);
            var updated = await s.Item1._lifecycle.UpdateAttributesAsync(Type, s.properties.Name, s.properties.Version, current =>
            {
                var key = current.Key ?? throw VaultErrors.Integrity(Type, s.properties.Name, s.properties.Version ?? string.Empty);
                var next = s.properties.ApplyTo(current);
                return s.operations is null
                    ? next
                    : next with { Key = key with { Operations = KeyTypes.Operations(KeyTypes.Family(key.KeyType), s.operations) } };
            }, s.properties.Revision, s.cancellationToken).ConfigureAwait(false);
            s.properties.Revision = updated.Stored.Revision;
            return s.Item1.ToKey(updated);
        }, cancellationToken).AsTask();
    }

    public async Task<DeleteKeyOperation> StartDeleteKeyAsync(string name, CancellationToken cancellationToken = default) =>
        new(await _shared.DeleteAsync(name, ToDeleted, cancellationToken).ConfigureAwait(false));

    public Task<DeletedKey> GetDeletedKeyAsync(string name, CancellationToken cancellationToken = default) =>
        _shared.GetDeletedAsync(name, ToDeleted, cancellationToken);

    public IAsyncEnumerable<DeletedKey> GetDeletedKeysAsync(CancellationToken cancellationToken = default) =>
        _shared.ListDeletedAsync(ToDeleted, cancellationToken);

    public async Task<RecoverDeletedKeyOperation> StartRecoverDeletedKeyAsync(string name, CancellationToken cancellationToken = default) =>
        new(await _shared.RecoverAsync(name, ToKey, cancellationToken).ConfigureAwait(false));

    public Task PurgeDeletedKeyAsync(string name, CancellationToken cancellationToken = default) =>
        _shared.PurgeAsync(name, cancellationToken);

    public Task<byte[]> BackupKeyAsync(string name, CancellationToken cancellationToken = default) =>
        _shared.BackupAsync(VaultOperation.KeyBackup, name, cancellationToken);

    public Task<KeyVaultKey> RestoreKeyBackupAsync(byte[] backup, CancellationToken cancellationToken = default) =>
        _shared.RestoreAsync(VaultOperation.KeyRestore, backup, ToKey, cancellationToken);

    public Task<KeyVaultKey> RotateKeyAsync(string name, CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.KeyRotate, Type, name, (this, name, cancellationToken), static async s =>
        {
            ObjectRules.ValidateName(Type, s.name);
            return (await s.Item1.RotateAsync(s.name, s.Item1._core.Time.GetUtcNow(), s.cancellationToken).ConfigureAwait(false))!; // unconditional: never null
        }, cancellationToken).AsTask();

    public Task<KeyRotationPolicy> GetKeyRotationPolicyAsync(string name, CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.KeyRotationPolicyGet, Type, name, (this, name, cancellationToken), static async s =>
        {
            ObjectRules.ValidateName(Type, s.name);
            return RotationPolicies.ToPublic(RotationPolicies.Read((await s.Item1._lifecycle.GetCurrentAsync(Type, s.name, s.cancellationToken).ConfigureAwait(false)).Object.Policy));
        }, cancellationToken).AsTask();

    public Task<KeyRotationPolicy> UpdateKeyRotationPolicyAsync(string name, KeyRotationPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return _operations.RunAsync(VaultOperation.KeyRotationPolicySet, Type, name, (this, name, policy, cancellationToken), static s =>
        {
            ObjectRules.ValidateName(Type, s.name);
            var now = s.Item1._core.Time.GetUtcNow();
            return s.Item1._core.Writer.WriteAsync(async tx =>
            {
                StoredRotationPolicy? stored = null;
                await s.Item1._lifecycle.UpdatePolicyAsync(tx, Type, s.name, obj =>
                {
                    stored = RotationPolicies.Validate(s.policy, now, RotationPolicies.Read(obj.Policy));
                    return RotationPolicies.Write(stored);
                }, cancellationToken: s.cancellationToken).ConfigureAwait(false);
                return RotationPolicies.ToPublic(stored);
            }, s.cancellationToken);
        }, cancellationToken).AsTask();
    }

    public Task<KeyLifetimeActionResults> ApplyRotationPoliciesAsync(CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.KeyRotationPoliciesApply, Type, null, (this, cancellationToken), static s => s.Item1.ApplyPoliciesAsync(s.cancellationToken), cancellationToken).AsTask();

    public Task<byte[]> GetRandomBytesAsync(int count, CancellationToken cancellationToken = default) =>
        _operations.RunAsync(VaultOperation.KeyGetRandomBytes, ObjectType.Key, null, count, static n =>
        {
            if (n is < 1 or > MaxRandomBytes)
            {
                throw VaultErrors.BadParameter($"Random bytes are asked for 1 to {MaxRandomBytes} at a time; {n} were asked for.");
            }

            return ValueTask.FromResult(RandomNumberGenerator.GetBytes(n));
        }, cancellationToken).AsTask();

    public CryptographyClient GetCryptographyClient(string keyName, string? keyVersion = null)
    {
        ArgumentNullException.ThrowIfNull(keyName);
        return new CryptographyClient(new VaultKeyBinding(_core, _lifecycle, _operations, keyName, keyVersion));
    }

    private Task<KeyVaultKey> CreateAsync(KeyRequest request, CancellationToken cancellationToken) =>
        _operations.RunAsync(VaultOperation.KeyCreate, Type, request.Name, (this, request, cancellationToken), static s => s.Item1.CreateKeyAsync(s.request, s.cancellationToken), cancellationToken).AsTask();

    private async ValueTask<KeyVaultKey> CreateKeyAsync(KeyRequest request, CancellationToken cancellationToken)
    {
        ObjectRules.ValidateName(Type, request.Name);
        var family = KeyTypes.Family(request.Type);
        if (request.PublicExponent is { } exponent && exponent != 65537)
        {
            throw VaultErrors.BadParameter($"RSA public exponent {exponent} is not supported: keys use 65537.");
        }

        if (request.Size is { } size)
        {
            if (family == KeyType.Ec)
            {
                throw VaultErrors.BadParameter("An EC key's size comes from its curve: give a curve, not a size.");
            }

            KeyTypes.ValidateSize(family, size);
        }

        if (request.Curve is { } curve && (family != KeyType.Ec || !Curves.IsSupported(curve)))
        {
            throw VaultErrors.BadParameter($"Curve '{curve}' is not valid here: EC keys use P-256, P-256K, P-384 or P-521.");
        }

        var attributes = VaultObjectProperties.NewAttributes(request.Options.Enabled, request.Options.NotBefore, request.Options.ExpiresOn, request.Options.TagsOrNull);
        var operations = KeyTypes.Operations(family, request.Options.KeyOperations.Count > 0 ? request.Options.KeyOperations : null);

        // Key generation (up to seconds for RSA-4096) runs before, not inside, the vault's write lock.
        var version = ObjectRules.NewVersion();
        using var key = Generate(request.Type, request.Name, version, request.Size, request.Curve, operations);
        return ToKey(await WriteAsync(request.Name, attributes, key, version, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Writes a generated key's version; a key made in a token for a version that is not written is destroyed again.</summary>
    private async ValueTask<ObjectVersion> WriteAsync(string name, RecordAttributes attributes, NewKey key, string version, CancellationToken cancellationToken)
    {
        try
        {
            return await _lifecycle.CreateVersionAsync(Type, name, attributes with { Key = key.Attributes }, key.Payload, version, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            KeyMaker.Discard(_core, key.Attributes, name, version);
            throw;
        }
    }

    private async ValueTask<ObjectVersion?> IfCurrentAsync(string name, string expectedCurrent, RecordAttributes attributes, NewKey key, string version, CancellationToken cancellationToken)
    {
        ObjectVersion? made;
        try
        {
            made = await _lifecycle.CreateVersionIfCurrentAsync(Type, name, expectedCurrent, attributes with { Key = key.Attributes }, key.Payload, version, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            KeyMaker.Discard(_core, key.Attributes, name, version);
            throw;
        }

        if (made is null)
        {
            KeyMaker.Discard(_core, key.Attributes, name, version); // rotated elsewhere first: this key is not used
        }

        return made;
    }

    private NewKey Generate(KeyType type, string name, string version, int? size, KeyCurveName? curve, IReadOnlyList<string> operations) =>
        KeyMaker.Generate(_core, type, name, version, size, curve, operations);

    private async ValueTask<KeyVaultKey> ImportAsync(ImportKeyOptions options, CancellationToken cancellationToken)
    {
        ObjectRules.ValidateName(Type, options.Name);
        var family = KeyTypes.Family(options.Key.KeyType);
        if (KeyTypes.IsHsm(options.Key.KeyType))
        {
            throw VaultErrors.BadParameter($"Importing into a token ({options.Key.KeyType}) is not supported: a token key is generated in the token, so it never existed outside it.");
        }

        var attributes = options.Properties.ToNewAttributes();
        var operations = KeyTypes.Operations(family, options.Key.KeyOps.Count > 0 ? options.Key.KeyOps : null);
        using var key = KeyFactory.Import(options.Key, operations);
        return ToKey(await _lifecycle.CreateVersionAsync(Type, options.Name, attributes with { Key = key.Attributes }, key.Payload, cancellationToken: cancellationToken).ConfigureAwait(false));
    }

    /// <summary>A new version like the current one (type, size or curve, operations, tags); expiry from the policy.</summary>
    /// <remarks>With <paramref name="ifDue"/> (a rotation policy's), only while that version is still current: null otherwise.</remarks>
    private async ValueTask<KeyVaultKey?> RotateAsync(string name, DateTimeOffset now, CancellationToken cancellationToken, ObjectVersion? ifDue = null)
    {
        var current = await _lifecycle.GetCurrentAsync(Type, name, cancellationToken).ConfigureAwait(false);
        var previous = current.Attributes.Key ?? throw VaultErrors.Integrity(Type, current.Name, current.Version);
        var policy = RotationPolicies.Read(current.Object.Policy);
        var attributes = new RecordAttributes
        {
            ExpiresOn = RecordAttributes.ToUnix(RotationPolicies.NewVersionExpiry(policy, now)),
            Tags = current.Attributes.Tags,
        };
        var version = ObjectRules.NewVersion();
        using var key = Generate(previous.KeyType, current.Name, version, previous.Size, previous.Curve is null ? null : (KeyCurveName?)new KeyCurveName(previous.Curve), previous.Operations);
        ObjectVersion rotated;
        if (ifDue is { } due)
        {
            if (await IfCurrentAsync(name, due.Version, attributes, key, version, cancellationToken).ConfigureAwait(false) is not { } made)
            {
                return null;
            }

            rotated = made;
        }
        else
        {
            rotated = await WriteAsync(name, attributes, key, version, cancellationToken).ConfigureAwait(false);
        }

        _core.Events.Raise(Events.VaultEventType.Rotated, Type, rotated.Name, rotated.Version);
        return ToKey(rotated);
    }

    private async ValueTask<KeyLifetimeActionResults> ApplyPoliciesAsync(CancellationToken cancellationToken)
    {
        var now = _core.Time.GetUtcNow();
        var rotated = new List<KeyVaultKey>();
        var nearExpiry = new List<KeyProperties>();
        foreach (var current in (await _lifecycle.ListCurrentAsync(Type, cancellationToken).ConfigureAwait(false)).Where(k => k.Object.ManagedBy is null))
        {
            var policy = RotationPolicies.Read(current.Object.Policy);
            var (rotate, notify) = RotationPolicies.Due(policy, current, now);
            if (rotate)
            {
                // Only if the version found due is still current when the rotation commits: once, whichever caller or
                // instance gets there first.
                if (await RotateAsync(current.Name, now, cancellationToken, current).ConfigureAwait(false) is { } made)
                {
                    rotated.Add(made);
                }
            }
            else if (notify)
            {
                // Remember the notified version, so each version is reported once.
                await _core.Writer.WriteAsync(tx => _lifecycle.UpdatePolicyAsync(tx, Type, current.Name, _ => RotationPolicies.Write(RotationPolicies.MarkNotified(policy, current.Version)), cancellationToken: cancellationToken), cancellationToken).ConfigureAwait(false);
                nearExpiry.Add(ToProperties(current));
            }
        }

        return new KeyLifetimeActionResults(rotated, nearExpiry);
    }

    private KeyProperties ToProperties(ObjectVersion version)
    {
        var properties = new KeyProperties(version.Name);
        properties.Fill(version, _core);
        return properties;
    }

    private KeyVaultKey ToKey(ObjectVersion version)
    {
        var properties = ToProperties(version);
        return new KeyVaultKey(KeyFactory.PublicJwk(version.Attributes.Key!, properties.Id!.ToString()), properties);
    }

    private DeletedKey ToDeleted(ObjectVersion version) => new(
        ToKey(version),
        new Uri(_core.Uri, $"deletedkeys/{version.Name}"),
        RecordAttributes.FromUnix(version.Object.DeletedOn!.Value),
        RecordAttributes.FromUnix(version.Object.ScheduledPurgeDate!.Value));

    private sealed record KeyRequest(string Name, KeyType Type, CreateKeyOptions Options, int? Size, KeyCurveName? Curve, int? PublicExponent);
}
