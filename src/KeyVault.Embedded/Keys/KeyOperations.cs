namespace KeyVault.Embedded.Keys;

/// <summary>
/// What <see cref="IKeyStore.StartDeleteKeyAsync"/> returns, in the Azure SDK's shape: the key is deleted when the call
/// returns, so the operation has completed and <see cref="Operation{T}.Value"/> is the deleted key.
/// </summary>
public sealed class DeleteKeyOperation : Operation<DeletedKey>
{
    internal DeleteKeyOperation(DeletedKey value)
        : base(value.Id?.ToString() ?? value.Name, value)
    {
    }
}

/// <summary>
/// What <see cref="IKeyStore.StartRecoverDeletedKeyAsync"/> returns, in the Azure SDK's shape: the key is recovered when
/// the call returns, so the operation has completed and <see cref="Operation{T}.Value"/> is the recovered key.
/// </summary>
public sealed class RecoverDeletedKeyOperation : Operation<KeyVaultKey>
{
    internal RecoverDeletedKeyOperation(KeyVaultKey value)
        : base(value.Id?.ToString() ?? value.Name, value)
    {
    }
}
