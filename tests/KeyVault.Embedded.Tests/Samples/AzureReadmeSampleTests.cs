using KeyVault.Embedded.Certificates;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Samples;

/// <summary>
/// The samples of the Azure SDK's READMEs (Azure.Security.KeyVault.Secrets 4.12.0 and
/// Azure.Security.KeyVault.Certificates 4.10.0), ported with as little change as we could.
/// </summary>
/// <remarks>
/// Lines changed from Azure's text (the rest is Azure's, character for character, apart from the namespaces in the
/// usings; lines with <c>Should()</c>, the <c>var vault = Vault;</c> lines and one extra <c>SetSecret</c> are the
/// test's own, added, not changed):
/// <list type="bullet">
/// <item>Client construction, 3 lines: <c>var client = vault.Secrets;</c> (twice) and <c>var client = vault.Certificates;</c>
/// for Azure's <c>new SecretClient(new Uri(vaultUrl), new DefaultAzureCredential())</c> and its CertificateClient twin.</item>
/// <item>Exception type, 1 line: <c>catch (VaultException ex)</c> for <c>catch (RequestFailedException ex)</c>.</item>
/// <item>Listing types, 4 lines: <c>IEnumerable&lt;T&gt;</c> and <c>IAsyncEnumerable&lt;T&gt;</c> for Azure's
/// <c>Pageable&lt;T&gt;</c> and <c>AsyncPageable&lt;T&gt;</c> (the same <c>foreach</c> / <c>await foreach</c> over them).</item>
/// <item>Polling loops, 3 lines: Azure's two-second sleep inside <c>while (!operation.HasCompleted)</c>
/// becomes an assertion that the loop never runs, since in-process a delete or a self-signed create has completed when
/// the call returns.</item>
/// </list>
/// 11 lines in all. The first three kinds (8 lines) are what a port needs; Azure's polling loops would run as they are
/// (their body never runs), and are changed here only because these tests never sleep.
/// </remarks>
public sealed class AzureReadmeSampleTests : VaultTestBase
{
    [Fact]
    public void The_secret_samples_run_synchronously()
    {
        var vault = Vault;
        var client = vault.Secrets;

        // Create a secret
        {
            KeyVaultSecret secret = client.SetSecret("secret-name", "secret-value");

            Console.WriteLine(secret.Name);
            Console.WriteLine(secret.Value);
            Console.WriteLine(secret.Properties.Version);
            Console.WriteLine(secret.Properties.Enabled);
            secret.Value.Should().Be("secret-value");
        }

        // Retrieve a secret
        {
            KeyVaultSecret secret = client.GetSecret("secret-name");

            Console.WriteLine(secret.Name);
            Console.WriteLine(secret.Value);
            secret.Value.Should().Be("secret-value");
        }

        // Update an existing secret
        {
            KeyVaultSecret secret = client.GetSecret("secret-name");

            // Clients may specify the content type of a secret to assist in interpreting the secret data when its retrieved.
            secret.Properties.ContentType = "text/plain";

            // You can specify additional application-specific metadata in the form of tags.
            secret.Properties.Tags["foo"] = "updated tag";

            SecretProperties updatedSecretProperties = client.UpdateSecretProperties(secret.Properties);

            Console.WriteLine(updatedSecretProperties.Name);
            Console.WriteLine(updatedSecretProperties.Version);
            Console.WriteLine(updatedSecretProperties.ContentType);
            updatedSecretProperties.Tags["foo"].Should().Be("updated tag");
        }

        // List secrets
        {
            IEnumerable<SecretProperties> allSecrets = client.GetPropertiesOfSecrets();

            foreach (SecretProperties secretProperties in allSecrets)
            {
                Console.WriteLine(secretProperties.Name);
            }

            allSecrets.Select(s => s.Name).Should().Equal("secret-name");
        }

        // Delete a secret
        {
            DeleteSecretOperation operation = client.StartDeleteSecret("secret-name");

            DeletedSecret secret = operation.Value;
            Console.WriteLine(secret.Name);
            Console.WriteLine(secret.Value);
        }

        // Delete and purge a secret
        {
            client.SetSecret("other-secret", "value");
            DeleteSecretOperation operation = client.StartDeleteSecret("other-secret");

            // You only need to wait for completion if you want to purge or recover the secret.
            // You should call `UpdateStatus` in another thread or after doing additional work like pumping messages.
            while (!operation.HasCompleted)
            {
                Assert.Fail("in-process, the delete has completed when the call returns");

                operation.UpdateStatus();
            }

            DeletedSecret secret = operation.Value;
            client.PurgeDeletedSecret(secret.Name);
        }

        client.GetDeletedSecrets().Select(s => s.Name).Should().Equal("secret-name");

        // Troubleshooting
        try
        {
            KeyVaultSecret secret = client.GetSecret("some_secret");
        }
        catch (VaultException ex)
        {
            Console.WriteLine(ex.ToString());
            ex.Status.Should().Be(400, "an underscore breaks Azure's naming rule");
        }
    }

    [Fact]
    public async Task The_secret_samples_run_asynchronously()
    {
        var vault = Vault;
        var client = vault.Secrets;

        // Create a secret asynchronously
        {
            KeyVaultSecret secret = await client.SetSecretAsync("secret-name", "secret-value");

            Console.WriteLine(secret.Name);
            Console.WriteLine(secret.Value);
        }

        // List secrets asynchronously
        {
            IAsyncEnumerable<SecretProperties> allSecrets = client.GetPropertiesOfSecretsAsync();

            await foreach (SecretProperties secretProperties in allSecrets)
            {
                Console.WriteLine(secretProperties.Name);
            }
        }

        // Delete a secret asynchronously
        {
            DeleteSecretOperation operation = await client.StartDeleteSecretAsync("secret-name");

            // You only need to wait for completion if you want to purge or recover the secret.
            await operation.WaitForCompletionAsync();

            DeletedSecret secret = operation.Value;
            await client.PurgeDeletedSecretAsync(secret.Name);
        }

        (await client.GetDeletedSecretsAsync().ToListAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task The_certificate_samples_run()
    {
        var vault = Vault;
        var client = vault.Certificates;

        // Create a certificate
        {
            // Create a certificate. This starts a long running operation to create and sign the certificate.
            CertificateOperation operation = client.StartCreateCertificate("MyCertificate", CertificatePolicy.Default);

            // You can await the completion of the create certificate operation.
            // You should run UpdateStatus in another thread or do other work like pumping messages between calls.
            while (!operation.HasCompleted)
            {
                Assert.Fail("in-process, a self-signed create has completed when the call returns");

                operation.UpdateStatus();
            }

            KeyVaultCertificateWithPolicy certificate = operation.Value;
            certificate.Policy.Subject.Should().Be("CN=DefaultPolicy");
        }

        // Retrieve a certificate
        {
            KeyVaultCertificateWithPolicy certificateWithPolicy = client.GetCertificate("MyCertificate");

            KeyVaultCertificate certificate = client.GetCertificateVersion(certificateWithPolicy.Name, certificateWithPolicy.Properties.Version!);
            certificate.Cer.Should().Equal(certificateWithPolicy.Cer);

            // Update an existing certificate
            CertificateProperties certificateProperties = new CertificateProperties(certificate.Id!);
            certificateProperties.Tags["key1"] = "value1";

            KeyVaultCertificate updated = client.UpdateCertificateProperties(certificateProperties);
            updated.Properties.Tags["key1"].Should().Be("value1");
        }

        // List certificates
        {
            IEnumerable<CertificateProperties> allCertificates = client.GetPropertiesOfCertificates();

            foreach (CertificateProperties certificateProperties in allCertificates)
            {
                Console.WriteLine(certificateProperties.Name);
            }
        }

        // Create a certificate asynchronously
        {
            // Create a certificate. This starts a long running operation to create and sign the certificate.
            CertificateOperation operation = await client.StartCreateCertificateAsync("MyCertificate2", CertificatePolicy.Default);

            // You can await the completion of the create certificate operation.
            KeyVaultCertificateWithPolicy certificate = await operation.WaitForCompletionAsync();
            certificate.Name.Should().Be("MyCertificate2");
        }

        // List certificates asynchronously
        {
            IAsyncEnumerable<CertificateProperties> allCertificates = client.GetPropertiesOfCertificatesAsync();

            await foreach (CertificateProperties certificateProperties in allCertificates)
            {
                Console.WriteLine(certificateProperties.Name);
            }
        }

        // Delete a certificate
        {
            DeleteCertificateOperation operation = client.StartDeleteCertificate("MyCertificate");

            // You only need to wait for completion if you want to purge or recover the certificate.
            // You should call `UpdateStatus` in another thread or after doing additional work like pumping messages.
            while (!operation.HasCompleted)
            {
                Assert.Fail("in-process, the delete has completed when the call returns");

                operation.UpdateStatus();
            }

            DeletedCertificate certificate = operation.Value;
            client.PurgeDeletedCertificate(certificate.Name);
        }

        // Delete a certificate asynchronously
        {
            DeleteCertificateOperation operation = await client.StartDeleteCertificateAsync("MyCertificate2");

            // You only need to wait for completion if you want to purge or recover the certificate.
            await operation.WaitForCompletionAsync();

            DeletedCertificate certificate = operation.Value;
            await client.PurgeDeletedCertificateAsync(certificate.Name);
        }

        (await client.GetDeletedCertificatesAsync().ToListAsync()).Should().BeEmpty();
        (await client.GetPropertiesOfCertificatesAsync().ToListAsync()).Should().BeEmpty();
    }
}
