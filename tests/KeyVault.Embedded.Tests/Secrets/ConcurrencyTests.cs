using System.Collections.Concurrent;
using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Secrets;

public sealed class ConcurrencyTests : VaultTestBase
{
    [Fact]
    public async Task Many_tasks_of_mixed_operations_leave_a_consistent_vault()
    {
        const int Workers = 8;
        const int Iterations = 60;
        await Secrets.SetSecretAsync("shared", "initial");
        var sharedWrites = new ConcurrentBag<string> { "initial" };

        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var own = $"own-{w}";
            string? lastValue = null;
            for (var i = 0; i < Iterations; i++)
            {
                switch (i % 6)
                {
                    case 0:
                    case 1:
                        lastValue = $"{w}-{i}";
                        await Secrets.SetSecretAsync(own, lastValue);
                        break;
                    case 2:
                        (await Secrets.GetSecretAsync(own)).Value.Should().Be(lastValue);
                        var shared = $"shared-{w}-{i}";
                        sharedWrites.Add(shared);
                        await Secrets.SetSecretAsync("shared", shared);
                        break;
                    case 3:
                        await Secrets.UpdateSecretPropertiesAsync(new SecretProperties(own) { ContentType = $"ct-{i}" });
                        (await Secrets.GetPropertiesOfSecretsAsync().ToListAsync()).Should().Contain(p => p.Name == own);
                        break;
                    case 4:
                        await Secrets.StartDeleteSecretAsync(own);
                        await FluentActions.Awaiting(() => Secrets.GetSecretAsync(own)).Should().ThrowAsync<VaultObjectNotFoundException>();
                        break;
                    case 5:
                        await Secrets.StartRecoverDeletedSecretAsync(own);
                        sharedWrites.Should().Contain((await Secrets.GetSecretAsync("shared")).Value);
                        break;
                }
            }

            return (own, lastValue);
        })).ToList();

        var results = await Task.WhenAll(workers);
        await ReopenAsync();

        foreach (var (own, lastValue) in results)
        {
            (await Secrets.GetSecretAsync(own)).Value.Should().Be(lastValue);
            (await Secrets.GetPropertiesOfSecretVersionsAsync(own).ToListAsync()).Should().HaveCount(Iterations / 3);
        }

        sharedWrites.Should().Contain((await Secrets.GetSecretAsync("shared")).Value);
        (await Secrets.GetPropertiesOfSecretVersionsAsync("shared").ToListAsync()).Should().HaveCount(1 + (Workers * Iterations / 6));
    }
}
