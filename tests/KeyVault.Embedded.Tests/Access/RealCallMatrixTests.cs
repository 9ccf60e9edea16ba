using System.Security.Cryptography;
using KeyVault.Embedded.Access;
using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Keys;
using KeyVault.Embedded.Keys.Cryptography;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Access;

/// <summary>
/// The role matrix through the public API: every operation of the three stores, the cryptography client, the vault and
/// its access management, called for real by a principal holding one built-in role at the vault, the type or the
/// object. Each call is refused (403 <c>Forbidden</c>, nothing written) or not exactly as the hand-written table of
/// <see cref="RoleMatrixTests"/> says; an allowed call may still fail for its own reasons (not found, a conflict), which
/// is not a refusal. This proves that each public method asks for its own operation's right, before any work.
/// </summary>
public sealed class RealCallMatrixTests : VaultTestBase
{
    private const string Target = "target";
    private static readonly VaultPrincipal Admin = new("admin-oid", "admin");
    private static readonly VaultPrincipal Caller = new("caller-oid", "caller", VaultPrincipalKind.Application);

    public static TheoryData<string, string> RolesAndLevels()
    {
        var data = new TheoryData<string, string>();
        foreach (var role in KeyVaultRoles.All)
        {
            foreach (var level in new[] { "vault", "type", "object" })
            {
                data.Add(role.RoleName, level);
            }
        }

        data.Add("(none)", "vault");
        return data;
    }

    [Theory]
    [MemberData(nameof(RolesAndLevels))]
    public async Task Each_public_operation_is_refused_or_allowed_as_the_role_table_says(string roleName, string level)
    {
        await SeedAsync();
        var role = KeyVaultRoles.All.SingleOrDefault(r => r.RoleName == roleName);
        await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, Admin.ObjectId);
        if (role is not null)
        {
            foreach (var segment in new[] { "secrets", "keys", "certificates" })
            {
                var scope = level switch
                {
                    "vault" => KeyVaultRoleScope.Global,
                    "type" => new KeyVaultRoleScope("/" + segment),
                    _ => new KeyVaultRoleScope($"/{segment}/{Target}"),
                };
                if (level != "vault" || segment == "secrets")
                {
                    await Vault.Access.CreateRoleAssignmentAsync(scope, role.Id, Caller.ObjectId);
                }
            }
        }

        using (Vault.RunAs(Admin))
        {
            await Vault.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.Rbac);
        }

        await CallEveryOperationAsync(
            operation => role is not null && (role.Id == KeyVaultRoles.Administrator.Id || RoleMatrixTests.Allowed[role.Id].Contains(operation)) && Reaches(operation, level),
            _ => VaultErrorCode.ForbiddenByRbac);
    }

    /// <summary>Azure's access-policy permissions, each alone: exactly the operations that need it run.</summary>
    public static TheoryData<string, string> Permissions()
    {
        var data = new TheoryData<string, string>();
        foreach (var permission in "get list set delete recover purge backup restore".Split(' '))
        {
            data.Add("secrets", permission);
        }

        foreach (var permission in "get list update create import delete recover purge backup restore encrypt decrypt wrapKey unwrapKey sign verify rotate getrotationpolicy setrotationpolicy".Split(' '))
        {
            data.Add("keys", permission);
        }

        foreach (var permission in "get list update create import delete recover purge backup restore managecontacts getissuers listissuers setissuers deleteissuers".Split(' '))
        {
            data.Add("certificates", permission);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Permissions))]
    public async Task Each_access_policy_permission_allows_exactly_the_operations_Azure_documents_for_it(string type, string permission)
    {
        await SeedAsync();
        await Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Global, KeyVaultRoles.Administrator.Id, Admin.ObjectId);
        await Vault.Access.SetAccessPolicyAsync(type switch
        {
            "secrets" => new VaultAccessPolicy(Caller.ObjectId, secrets: [permission]),
            "keys" => new VaultAccessPolicy(Caller.ObjectId, keys: [permission]),
            _ => new VaultAccessPolicy(Caller.ObjectId, certificates: [permission]),
        });
        using (Vault.RunAs(Admin))
        {
            await Vault.Access.SetAuthorizationModeAsync(VaultAuthorizationMode.AccessPolicy);
        }

        await CallEveryOperationAsync(operation => PolicyNeeds.TryGetValue(operation, out var need) && need == (type, permission),
            operation => PolicyNeeds.ContainsKey(operation) ? VaultErrorCode.AccessDenied : VaultErrorCode.ForbiddenByRbac); // vault administration stays with roles
    }

    /// <summary>
    /// What each operation needs under access policies, from Azure Key Vault's REST reference ("this operation requires
    /// the secrets/get permission"...). A certificate's PFX and private key are its secret's value and its key (Azure
    /// serves them from the secret and key endpoints). Vault administration is not an access-policy permission.
    /// </summary>
    private static readonly Dictionary<string, (string Type, string Permission)> PolicyNeeds = new()
    {
        ["SecretSet"] = ("secrets", "set"), ["SecretGet"] = ("secrets", "get"), ["SecretUpdate"] = ("secrets", "set"),
        ["SecretList"] = ("secrets", "list"), ["SecretListVersions"] = ("secrets", "list"), ["SecretListDeleted"] = ("secrets", "list"),
        ["SecretDelete"] = ("secrets", "delete"), ["SecretGetDeleted"] = ("secrets", "get"), ["SecretRecover"] = ("secrets", "recover"), ["SecretPurge"] = ("secrets", "purge"),
        ["SecretBackup"] = ("secrets", "backup"), ["SecretRestore"] = ("secrets", "restore"), ["KeyBackup"] = ("keys", "backup"), ["KeyRestore"] = ("keys", "restore"),
        ["CertificateBackup"] = ("certificates", "backup"), ["CertificateRestore"] = ("certificates", "restore"),
        ["KeyGet"] = ("keys", "get"), ["KeyList"] = ("keys", "list"), ["KeyListVersions"] = ("keys", "list"), ["KeyListDeleted"] = ("keys", "list"),
        ["KeyEncrypt"] = ("keys", "encrypt"), ["KeyDecrypt"] = ("keys", "decrypt"), ["KeyWrap"] = ("keys", "wrapKey"), ["KeyUnwrap"] = ("keys", "unwrapKey"),
        ["KeySign"] = ("keys", "sign"), ["KeyVerify"] = ("keys", "verify"), ["KeyGetRandomBytes"] = ("keys", "get"), ["KeyUpdate"] = ("keys", "update"),
        ["KeyRotationPolicyGet"] = ("keys", "getrotationpolicy"), ["KeyRotationPolicySet"] = ("keys", "setrotationpolicy"), ["KeyRotate"] = ("keys", "rotate"),
        ["KeyRotationPoliciesApply"] = ("keys", "rotate"), ["KeyImport"] = ("keys", "import"), ["KeyCreate"] = ("keys", "create"), ["KeyDelete"] = ("keys", "delete"),
        ["KeyGetDeleted"] = ("keys", "get"), ["KeyRecover"] = ("keys", "recover"), ["KeyPurge"] = ("keys", "purge"),
        ["CertificateCreate"] = ("certificates", "create"), ["CertificateGet"] = ("certificates", "get"), ["CertificateList"] = ("certificates", "list"),
        ["CertificateListVersions"] = ("certificates", "list"), ["CertificateListDeleted"] = ("certificates", "list"), ["CertificatePolicyGet"] = ("certificates", "get"),
        ["CertificatePolicySet"] = ("certificates", "update"), ["CertificateUpdate"] = ("certificates", "update"), ["CertificateDownload"] = ("secrets", "get"),
        ["CertificateGetKey"] = ("keys", "sign"), ["CertificatePendingGet"] = ("certificates", "get"), ["CertificatePendingUpdate"] = ("certificates", "update"),
        ["CertificatePendingDelete"] = ("certificates", "update"), ["CertificatePendingMerge"] = ("certificates", "create"), ["CertificateImport"] = ("certificates", "import"),
        ["CertificateContactsSet"] = ("certificates", "managecontacts"), ["CertificateContactsGet"] = ("certificates", "managecontacts"), ["CertificateContactsDelete"] = ("certificates", "managecontacts"),
        ["CertificateIssuerSet"] = ("certificates", "setissuers"), ["CertificateIssuerGet"] = ("certificates", "getissuers"), ["CertificateIssuerList"] = ("certificates", "listissuers"),
        ["CertificateIssuerUpdate"] = ("certificates", "setissuers"), ["CertificateIssuerDelete"] = ("certificates", "deleteissuers"), ["CertificateLifetimeActionsApply"] = ("certificates", "create"),
        ["CertificateDelete"] = ("certificates", "delete"), ["CertificateGetDeleted"] = ("certificates", "get"), ["CertificateRecover"] = ("certificates", "recover"), ["CertificatePurge"] = ("certificates", "purge"),
    };

    /// <summary>Calls every operation as <see cref="Caller"/>: each is refused (with the inner code <paramref name="inner"/> gives, nothing written) exactly when <paramref name="allowed"/> says no.</summary>
    private async Task CallEveryOperationAsync(Func<string, bool> allowed, Func<string, VaultErrorCode> inner)
    {
        using var client = Vault.Keys.GetCryptographyClient(Target);
        var wrong = new List<string>();
        var covered = new HashSet<string>();
        using (Vault.RunAs(Caller))
        {
            foreach (var (operation, call) in Calls(client))
            {
                covered.Add(operation);
                var expected = allowed(operation);
                var before = Generation();
                VaultException? refusal = null;
                try
                {
                    await call();
                }
                catch (VaultException ex) when (ex.ErrorCode == VaultErrorCode.Forbidden)
                {
                    refusal = ex;
                }
                catch (Exception ex) when (ex is VaultException or CryptographicException)
                {
                    // Allowed, and then failed on its own merits.
                }

                if ((refusal is null) != expected)
                {
                    wrong.Add($"{operation}: expected {(expected ? "allowed" : "refused")}, was {(refusal is null ? "allowed" : "refused")}");
                }
                else if (refusal is not null)
                {
                    refusal.InnerErrorCode.Should().Be(inner(operation));
                    refusal.Message.Should().Contain(Caller.ObjectId);
                    Generation().Should().Be(before, $"a refused {operation} writes nothing");
                }
            }
        }

        wrong.Should().BeEmpty();
        covered.Should().BeEquivalentTo(OperationActions.All.Keys, "every operation the vault has is called through its public API here");
    }

    private static bool Reaches(string operation, string level) => level switch
    {
        "vault" => true,
        "type" => !IsVaultWide(operation),
        _ => !IsVaultWide(operation) && !RoleMatrixTests.TypeWide.Contains(operation),
    };

    /// <summary>Vault administration, access management and the audit trail: checked at the vault.</summary>
    private static bool IsVaultWide(string operation) => operation.StartsWith("Vault", StringComparison.Ordinal) || operation.StartsWith("Access", StringComparison.Ordinal) || operation.StartsWith("Audit", StringComparison.Ordinal);


    private async Task SeedAsync()
    {
        await Secrets.SetSecretAsync("plain", "v");
        await Vault.Keys.CreateRsaKeyAsync(new CreateRsaKeyOptions(Target));
        await Vault.Certificates.StartCreateCertificateAsync(Target + "-cert", EcPolicy());
    }

    private static CertificatePolicy EcPolicy() => new(WellKnownIssuerNames.Self, "CN=target") { KeyType = CertificateKeyType.Ec, KeyCurveName = CertificateKeyCurveName.P256 };

    private long Generation() => Vault.Core.Generation;

    /// <summary>One real call per operation, in an order where later calls still find what they need (deletes last).</summary>
    private IEnumerable<(string Operation, Func<Task> Call)> Calls(CryptographyClient client)
    {
        var secrets = Vault.Secrets;
        var keys = Vault.Keys;
        var certificates = Vault.Certificates;
        var digest = new byte[32];
        static async Task Drain<T>(IAsyncEnumerable<T> items)
        {
            await foreach (var _ in items)
            {
            }
        }

        // Secrets (the object is /secrets/target).
        yield return ("SecretSet", () => secrets.SetSecretAsync(Target, "value"));
        yield return ("SecretGet", async () => await secrets.GetSecretAsync(Target));
        yield return ("SecretUpdate", () => secrets.UpdateSecretPropertiesAsync(new SecretProperties(Target) { ContentType = "text/plain" }));
        yield return ("SecretList", () => Drain(secrets.GetPropertiesOfSecretsAsync()));
        yield return ("SecretListVersions", () => Drain(secrets.GetPropertiesOfSecretVersionsAsync(Target)));
        yield return ("SecretListDeleted", () => Drain(secrets.GetDeletedSecretsAsync()));
        yield return ("SecretBackup", () => secrets.BackupSecretAsync(Target));
        yield return ("SecretRestore", () => secrets.RestoreSecretBackupAsync(new byte[16]));
        yield return ("SecretDelete", () => secrets.StartDeleteSecretAsync(Target));
        yield return ("SecretGetDeleted", () => secrets.GetDeletedSecretAsync(Target));
        yield return ("SecretRecover", () => secrets.StartRecoverDeletedSecretAsync(Target));
        yield return ("SecretPurge", () => secrets.PurgeDeletedSecretAsync(Target));

        // Keys and the cryptography client (an RSA key: encrypt, wrap and verify are public-key operations).
        yield return ("KeyGet", async () => await keys.GetKeyAsync(Target));
        yield return ("KeyList", () => Drain(keys.GetPropertiesOfKeysAsync()));
        yield return ("KeyListVersions", () => Drain(keys.GetPropertiesOfKeyVersionsAsync(Target)));
        yield return ("KeyListDeleted", () => Drain(keys.GetDeletedKeysAsync()));
        yield return ("KeyEncrypt", () => Task.FromResult(client.Encrypt(EncryptionAlgorithm.RsaOaep256, new byte[16])));
        yield return ("KeyDecrypt", () => Task.FromResult(client.Decrypt(EncryptionAlgorithm.RsaOaep256, new byte[256])));
        yield return ("KeyWrap", () => Task.FromResult(client.WrapKey(KeyWrapAlgorithm.RsaOaep256, new byte[32])));
        yield return ("KeyUnwrap", () => Task.FromResult(client.UnwrapKey(KeyWrapAlgorithm.RsaOaep256, new byte[256])));
        yield return ("KeySign", () => Task.FromResult(client.Sign(SignatureAlgorithm.RS256, digest)));
        yield return ("KeyVerify", () => Task.FromResult(client.Verify(SignatureAlgorithm.RS256, digest, new byte[256])));
        yield return ("KeyGetRandomBytes", () => keys.GetRandomBytesAsync(16));
        yield return ("KeyUpdate", async () => await keys.UpdateKeyPropertiesAsync(new KeyProperties(Target) { Tags = { ["t"] = "1" } }));
        yield return ("KeyRotationPolicyGet", () => keys.GetKeyRotationPolicyAsync(Target));
        yield return ("KeyRotationPolicySet", () => keys.UpdateKeyRotationPolicyAsync(Target, new KeyRotationPolicy { ExpiresIn = "P90D" }));
        yield return ("KeyRotate", () => keys.RotateKeyAsync(Target));
        yield return ("KeyRotationPoliciesApply", () => keys.ApplyRotationPoliciesAsync());
        yield return ("KeyImport", () => keys.ImportKeyAsync(Target, new JsonWebKey { KeyType = KeyType.Oct, K = new byte[32] }));
        yield return ("KeyCreate", () => keys.CreateRsaKeyAsync(new CreateRsaKeyOptions(Target)));
        yield return ("KeyBackup", () => keys.BackupKeyAsync(Target));
        yield return ("KeyRestore", () => keys.RestoreKeyBackupAsync(new byte[16]));
        yield return ("KeyDelete", () => keys.StartDeleteKeyAsync(Target));
        yield return ("KeyGetDeleted", () => keys.GetDeletedKeyAsync(Target));
        yield return ("KeyRecover", () => keys.StartRecoverDeletedKeyAsync(Target));
        yield return ("KeyPurge", () => keys.PurgeDeletedKeyAsync(Target));

        // Certificates (/certificates/target; its managed key and secret are /keys/target and /secrets/target).
        yield return ("CertificateCreate", () => certificates.StartCreateCertificateAsync(Target, EcPolicy()));
        yield return ("CertificateGet", () => certificates.GetCertificateAsync(Target));
        yield return ("CertificateList", () => Drain(certificates.GetPropertiesOfCertificatesAsync()));
        yield return ("CertificateListVersions", () => Drain(certificates.GetPropertiesOfCertificateVersionsAsync(Target)));
        yield return ("CertificateListDeleted", () => Drain(certificates.GetDeletedCertificatesAsync()));
        yield return ("CertificatePolicyGet", () => certificates.GetCertificatePolicyAsync(Target));
        yield return ("CertificatePolicySet", () => certificates.UpdateCertificatePolicyAsync(Target, EcPolicy()));
        yield return ("CertificateUpdate", () => certificates.UpdateCertificatePropertiesAsync(new CertificateProperties(Target) { Tags = { ["t"] = "1" } }));
        yield return ("CertificateDownload", () => certificates.DownloadCertificateAsync(Target));
        yield return ("CertificateGetKey", () => certificates.GetCertificateKeyAsync(Target));
        yield return ("CertificatePendingGet", () => certificates.GetCertificateOperationAsync(Target));
        yield return ("CertificatePendingUpdate", () => new CertificateOperation(certificates, Target).CancelAsync());
        yield return ("CertificatePendingDelete", () => new CertificateOperation(certificates, Target).DeleteAsync());
        yield return ("CertificatePendingMerge", () => certificates.MergeCertificateAsync(new MergeCertificateOptions(Target, [new byte[16]])));
        yield return ("CertificateImport", () => certificates.ImportCertificateAsync(new ImportCertificateOptions(Target, new byte[16])));
        yield return ("CertificateContactsSet", () => certificates.SetContactsAsync([new CertificateContact { Email = "ops@example.com" }]));
        yield return ("CertificateContactsGet", () => certificates.GetContactsAsync());
        yield return ("CertificateContactsDelete", () => certificates.DeleteContactsAsync());
        yield return ("CertificateIssuerSet", () => certificates.CreateIssuerAsync(new CertificateIssuer("issuer")));
        yield return ("CertificateIssuerGet", () => certificates.GetIssuerAsync("issuer"));
        yield return ("CertificateIssuerList", () => Drain(certificates.GetPropertiesOfIssuersAsync()));
        yield return ("CertificateIssuerUpdate", () => certificates.UpdateIssuerAsync(new CertificateIssuer("issuer")));
        yield return ("CertificateIssuerDelete", () => certificates.DeleteIssuerAsync("issuer"));
        yield return ("CertificateLifetimeActionsApply", () => certificates.ApplyLifetimeActionsAsync());
        yield return ("CertificateBackup", () => certificates.BackupCertificateAsync(Target));
        yield return ("CertificateRestore", () => certificates.RestoreCertificateBackupAsync(new byte[16]));
        yield return ("CertificateDelete", () => certificates.StartDeleteCertificateAsync(Target));
        yield return ("CertificateGetDeleted", () => certificates.GetDeletedCertificateAsync(Target));
        yield return ("CertificateRecover", () => certificates.StartRecoverDeletedCertificateAsync(Target));
        yield return ("CertificatePurge", () => certificates.PurgeDeletedCertificateAsync(Target));

        // The vault and its access management.
        yield return ("AccessRead", () => Vault.Access.GetRoleAssignmentsAsync());
        yield return ("AccessWrite", () => Vault.Access.CreateRoleAssignmentAsync(KeyVaultRoleScope.Secret("elsewhere"), KeyVaultRoles.SecretsUser.Id, "someone"));
        yield return ("AuditRead", () => Vault.VerifyAuditAsync());
        yield return ("AuditPrune", () => Vault.PruneAuditAsync());
        yield return ("VaultCheckExpiry", () => Vault.CheckExpiryAsync(TimeSpan.FromDays(30)));
        yield return ("VaultPurgeDue", () => Vault.PurgeDueDeletedObjectsAsync());
        yield return ("VaultHealthProbe", () => Vault.ProbeHealthAsync(TimeSpan.FromDays(30), new KeyVault.Embedded.Hosting.VaultHealth.Throttled<Exception?>(), new KeyVault.Embedded.Hosting.VaultHealth.Throttled<(int, int)>(), default));
        yield return ("VaultRotateKeyEncryptionKey", () => Vault.RotateKeyEncryptionKeyAsync());
        yield return ("VaultRotateRootKey", () => Vault.RotateRootKeyAsync(SoftwareRootKey.FromBytes(TestVaults.NewKey())));
        yield return ("VaultBackup", () => Vault.BackupAsync(new MemoryStream()));
        yield return ("VaultExport", () => Vault.ExportAsync(new MemoryStream(), SoftwareRootKey.FromBytes(TestVaults.NewKey())));
        yield return ("VaultImport", () => Vault.ImportAsync(new MemoryStream(new byte[16]), SoftwareRootKey.FromBytes(TestVaults.NewKey())));
        yield return ("VaultEnablePurgeProtection", () => Vault.EnablePurgeProtectionAsync());
    }
}
