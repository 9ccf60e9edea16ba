using KeyVault.Embedded.Access;
using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded.Tests.Access;

/// <summary>
/// Every operation × every built-in role × scope (vault, type, object), against a table of what each role may do,
/// written by hand from Azure's published role definitions (not from the vault's own action table).
/// </summary>
public sealed class RoleMatrixTests
{
    private static readonly string[] SecretRead = ["SecretList", "SecretListVersions", "SecretGetDeleted", "SecretListDeleted"];
    private static readonly string[] KeyRead = ["KeyGet", "KeyList", "KeyListVersions", "KeyGetDeleted", "KeyListDeleted"];
    private static readonly string[] CertificateRead = ["CertificateGet", "CertificateList", "CertificateListVersions", "CertificateGetDeleted", "CertificateListDeleted", "CertificatePolicyGet", "CertificatePendingGet"];
    private static readonly string[] Issuers = ["CertificateIssuerGet", "CertificateIssuerList"];

    /// <summary>What each role may do (operations on an asymmetric key; public-key operations need only read).</summary>
    internal static readonly Dictionary<string, string[]> Allowed = new()
    {
        [KeyVaultRoles.Reader.Id] = [.. SecretRead, .. KeyRead, .. CertificateRead, .. Issuers, "KeyRotationPolicyGet", "KeyEncrypt", "KeyWrap", "KeyVerify", "AccessRead", "AuditRead"],
        [KeyVaultRoles.SecretsOfficer.Id] = [.. SecretRead, "SecretGet", "SecretSet", "SecretUpdate", "SecretDelete", "SecretRecover", "SecretPurge", "SecretBackup", "SecretRestore", "CertificateDownload"],
        [KeyVaultRoles.SecretsUser.Id] = [.. SecretRead, "SecretGet", "CertificateDownload"],
        [KeyVaultRoles.CryptoOfficer.Id] = [.. KeyRead, "KeyCreate", "KeyImport", "KeyUpdate", "KeyDelete", "KeyRecover", "KeyPurge", "KeyBackup", "KeyRestore", "KeyRotate", "KeyRotationPolicyGet", "KeyRotationPolicySet", "KeyRotationPoliciesApply", "KeyGetRandomBytes", "KeyEncrypt", "KeyDecrypt", "KeyWrap", "KeyUnwrap", "KeySign", "KeyVerify", "CertificateGetKey"],
        [KeyVaultRoles.CryptoUser.Id] = [.. KeyRead, "KeyUpdate", "KeyBackup", "KeyEncrypt", "KeyDecrypt", "KeyWrap", "KeyUnwrap", "KeySign", "KeyVerify", "CertificateGetKey"],
        [KeyVaultRoles.CryptoServiceEncryptionUser.Id] = [.. KeyRead, "KeyWrap", "KeyUnwrap", "KeyEncrypt", "KeyVerify"],
        [KeyVaultRoles.CryptoServiceReleaseUser.Id] = [],
        [KeyVaultRoles.CertificatesOfficer.Id] = [.. CertificateRead, .. Issuers, "CertificateCreate", "CertificateImport", "CertificateUpdate", "CertificateDelete", "CertificateRecover", "CertificatePurge", "CertificateBackup", "CertificateRestore", "CertificatePolicySet", "CertificatePendingUpdate", "CertificatePendingDelete", "CertificatePendingMerge", "CertificateContactsGet", "CertificateContactsSet", "CertificateContactsDelete", "CertificateIssuerSet", "CertificateIssuerUpdate", "CertificateIssuerDelete", "CertificateLifetimeActionsApply"],
        [KeyVaultRoles.CertificateUser.Id] = [.. CertificateRead, .. SecretRead, .. KeyRead, "SecretGet", "CertificateDownload", "KeyEncrypt", "KeyWrap", "KeyVerify"],
        [KeyVaultRoles.DataAccessAdministrator.Id] = ["AccessRead", "AccessWrite"],
    };

    /// <summary>Operations whose check applies at the object type or the vault, not at one object.</summary>
    internal static readonly HashSet<string> TypeWide =
    [
        "SecretList", "SecretListDeleted", "KeyList", "KeyListDeleted", "CertificateList", "CertificateListDeleted", "KeyRotationPoliciesApply", "KeyGetRandomBytes",
        "CertificateContactsGet", "CertificateContactsSet", "CertificateContactsDelete", "CertificateIssuerSet", "CertificateIssuerGet", "CertificateIssuerUpdate", "CertificateIssuerDelete",
        "CertificateIssuerList", "CertificateLifetimeActionsApply", "SecretRestore", "KeyRestore", "CertificateRestore",
    ];

    public static TheoryData<string, string> RolesAndScopes()
    {
        var data = new TheoryData<string, string>();
        foreach (var role in KeyVaultRoles.All)
        {
            foreach (var scope in new[] { "vault", "type", "object", "other object" })
            {
                data.Add(role.RoleName, scope);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RolesAndScopes))]
    public void Each_role_allows_exactly_what_its_Azure_definition_grants_at_each_scope(string roleName, string level)
    {
        var role = KeyVaultRoles.All.Single(r => r.RoleName == roleName);
        var wrong = new List<string>();
        foreach (var operation in Operations())
        {
            var (type, segment) = TypeOf(operation);
            var scope = level switch
            {
                "vault" => KeyVaultRoleScope.Global,
                "type" => new KeyVaultRoleScope("/" + (segment ?? "secrets")),
                "object" => new KeyVaultRoleScope($"/{segment ?? "secrets"}/target"),
                _ => new KeyVaultRoleScope($"/{segment ?? "secrets"}/another"),
            };
            var access = new AccessControl(null);
            access.Apply(new AccessState(VaultAuthorizationMode.Rbac, [new VaultRoleAssignment("a", scope, role.Id, "p"), new VaultRoleAssignment("b", KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, "admin")], [], []));

            var granted = role.Id == KeyVaultRoles.Administrator.Id || Allowed[role.Id].Contains(operation);
            var reaches = level switch
            {
                "vault" => true,
                "type" => type is not null && operation is not ("AccessRead" or "AccessWrite"),
                "object" => type is not null && !TypeWide.Contains(operation) && operation is not ("AccessRead" or "AccessWrite"),
                _ => false,
            };
            var expected = granted && reaches;

            bool allowed;
            using (access.RunAs(new VaultPrincipal("p")))
            {
                try
                {
                    access.Authorize(operation, type, TypeWide.Contains(operation) ? null : "target", isAsymmetric: () => true);
                    allowed = true;
                }
                catch (VaultException denied) when (denied.ErrorCode == VaultErrorCode.Forbidden)
                {
                    denied.InnerErrorCode.Should().Be(VaultErrorCode.ForbiddenByRbac);
                    allowed = false;
                }
            }

            if (allowed != expected)
            {
                wrong.Add($"{operation}: {(allowed ? "allowed" : "denied")}, expected {(expected ? "allowed" : "denied")}");
            }
        }

        wrong.Should().BeEmpty($"{roleName} at {level} scope");
    }

    [Fact]
    public void Public_key_operations_need_only_read_on_an_asymmetric_key_and_never_on_a_symmetric_one()
    {
        var access = new AccessControl(null);
        access.Apply(new AccessState(VaultAuthorizationMode.Rbac, [new VaultRoleAssignment("a", KeyVaultRoleScope.Global, KeyVaultRoles.Reader.Id, "reader")], [], []));
        using var scope = access.RunAs(new VaultPrincipal("reader"));

        foreach (var operation in new[] { "KeyEncrypt", "KeyWrap", "KeyVerify" })
        {
            access.Authorize(operation, ObjectType.Key, "rsa", isAsymmetric: () => true);
            FluentActions.Invoking(() => access.Authorize(operation, ObjectType.Key, "aes", isAsymmetric: () => false)).Should().Throw<VaultException>().Which.Status.Should().Be(403);
        }

        FluentActions.Invoking(() => access.Authorize("KeyDecrypt", ObjectType.Key, "rsa", isAsymmetric: () => true)).Should().Throw<VaultException>();
        FluentActions.Invoking(() => access.Authorize("KeySign", ObjectType.Key, "rsa", isAsymmetric: () => true)).Should().Throw<VaultException>();
    }

    [Fact]
    public void Group_membership_inherits_the_groups_assignments_and_custom_roles_follow_Azure_wildcards()
    {
        var custom = new VaultRoleDefinition("7b9c7c1e-6b8f-4f6e-9d3a-3a2b1c0d9e8f", "Secret reader but not deleted", "custom",
            ["Microsoft.KeyVault/vaults/secrets/*"], ["Microsoft.KeyVault/vaults/secrets/purge/action", "Microsoft.KeyVault/vaults/secrets/set*"]);
        var access = new AccessControl(null);
        access.Apply(new AccessState(VaultAuthorizationMode.Rbac, [new VaultRoleAssignment("a", KeyVaultRoleScope.Secrets, custom.Id, "group-1")], [custom], []));

        using (access.RunAs(new VaultPrincipal("member", groups: ["group-1"])))
        {
            access.Authorize("SecretGet", ObjectType.Secret, "s");
            access.Authorize("SecretDelete", ObjectType.Secret, "s");
            FluentActions.Invoking(() => access.Authorize("SecretPurge", ObjectType.Secret, "s")).Should().Throw<VaultException>();
            FluentActions.Invoking(() => access.Authorize("SecretSet", ObjectType.Secret, "s")).Should().Throw<VaultException>();
            FluentActions.Invoking(() => access.Authorize("KeyGet", ObjectType.Key, "k")).Should().Throw<VaultException>();
        }

        using (access.RunAs(new VaultPrincipal("outsider")))
        {
            FluentActions.Invoking(() => access.Authorize("SecretGet", ObjectType.Secret, "s")).Should().Throw<VaultException>()
                .Which.Message.Should().Contain("outsider").And.Contain("Microsoft.KeyVault/vaults/secrets/getSecret/action").And.Contain("/secrets/s");
        }
    }

    private static IEnumerable<string> Operations() => OperationActions.All.Keys;

    private static (ObjectType? Type, string? Segment) TypeOf(string operation) =>
        operation.StartsWith("Secret", StringComparison.Ordinal) ? (ObjectType.Secret, "secrets")
        : operation.StartsWith("Key", StringComparison.Ordinal) ? (ObjectType.Key, "keys")
        : operation.StartsWith("Certificate", StringComparison.Ordinal) ? (ObjectType.Certificate, operation is "CertificateDownload" ? "secrets" : operation is "CertificateGetKey" ? "keys" : "certificates")
        : (null, null);
}
