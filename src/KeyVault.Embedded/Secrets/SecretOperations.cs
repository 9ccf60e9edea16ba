namespace KeyVault.Embedded.Secrets;

/// <summary>
/// What <see cref="ISecretStore.StartDeleteSecretAsync"/> returns, in the Azure SDK's shape: the secret is deleted when
/// the call returns, so the operation has completed and <see cref="Operation{T}.Value"/> is the deleted secret.
/// </summary>
public sealed class DeleteSecretOperation : Operation<DeletedSecret>
{
    internal DeleteSecretOperation(DeletedSecret value)
        : base(value.Id?.ToString() ?? value.Name, value)
    {
    }
}

/// <summary>
/// What <see cref="ISecretStore.StartRecoverDeletedSecretAsync"/> returns, in the Azure SDK's shape: the secret is
/// recovered when the call returns, so the operation has completed and <see cref="Operation{T}.Value"/> is the
/// recovered secret's properties.
/// </summary>
public sealed class RecoverDeletedSecretOperation : Operation<SecretProperties>
{
    internal RecoverDeletedSecretOperation(SecretProperties value)
        : base(value.Id?.ToString() ?? value.Name, value)
    {
    }
}
