using KeyVault.Embedded.Secrets;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Secrets;

/// <summary>Azure's rules on names, values, tags and content types: each break is a BadParameter that names the rule and writes nothing.</summary>
public sealed class SecretRuleTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly RecordingFiles _files = new();
    private EmbeddedVault _vault = null!;

    public async Task InitializeAsync()
    {
        _vault = await _files.OpenVaultAsync(_dir.File("vault.db"));
        await _vault.Secrets.SetSecretAsync("existing", "value");
    }

    public async Task DisposeAsync()
    {
        await _vault.DisposeAsync();
        _dir.Dispose();
    }

    public static TheoryData<string> InvalidNames => new()
    {
        string.Empty,
        "has space",
        "under_score",
        "dot.ted",
        "slash/name",
        "ünicode",
        new string('a', 128),
    };

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public async Task Invalid_names_are_refused_with_the_rule(string name)
    {
        var error = await RefusedAsync(() => _vault.Secrets.SetSecretAsync(name, "v"));

        error.Message.Should().Contain("^[0-9a-zA-Z-]{1,127}$");
    }

    [Theory]
    [InlineData("a")]
    [InlineData("A-1-b")]
    [InlineData("---")]
    public async Task Valid_names_are_accepted(string name)
    {
        await _vault.Secrets.SetSecretAsync(name, "v");
        (await _vault.Secrets.GetSecretAsync(name)).Value.Should().Be("v");
    }

    [Fact]
    public async Task A_127_character_name_is_accepted()
    {
        var name = new string('z', 127);
        await _vault.Secrets.SetSecretAsync(name, "longest");
        (await _vault.Secrets.GetSecretAsync(name)).Value.Should().Be("longest");
    }

    [Fact]
    public async Task An_invalid_name_is_never_echoed_in_case_it_is_a_value_passed_by_mistake()
    {
        var error = await RefusedAsync(() => _vault.Secrets.SetSecretAsync("Password=hunter2 swapped", "name"));

        error.Message.Should().NotContain("hunter2").And.Contain("24 characters");
    }

    [Fact]
    public async Task Invalid_names_are_refused_by_every_operation()
    {
        await RefusedAsync(() => _vault.Secrets.GetSecretAsync("bad name"));
        await RefusedAsync(() => _vault.Secrets.StartDeleteSecretAsync("bad name"));
        await RefusedAsync(() => _vault.Secrets.StartRecoverDeletedSecretAsync("bad name"));
        await RefusedAsync(() => _vault.Secrets.PurgeDeletedSecretAsync("bad name"));
        await RefusedAsync(() => _vault.Secrets.GetDeletedSecretAsync("bad name"));
        await RefusedAsync(() => _vault.Secrets.UpdateSecretPropertiesAsync(new SecretProperties("bad name")));
        await RefusedAsync(() => _vault.Secrets.GetPropertiesOfSecretVersionsAsync("bad name").ToListAsync().AsTask());
    }

    [Fact]
    public async Task A_value_over_25_KiB_is_refused_without_echoing_it()
    {
        var value = "secret-marker" + new string('x', SecretStore.MaxValueBytes);

        var error = await RefusedAsync(() => _vault.Secrets.SetSecretAsync("big", value));

        error.Message.Should().Contain("25 KiB").And.NotContain("secret-marker");
    }

    [Fact]
    public async Task A_value_that_is_25_KiB_of_multibyte_text_counts_bytes_not_characters()
    {
        var value = new string('é', (SecretStore.MaxValueBytes / 2) + 1);

        await RefusedAsync(() => _vault.Secrets.SetSecretAsync("big", value));
    }

    [Fact]
    public async Task A_value_with_an_unpaired_surrogate_is_refused()
    {
        await RefusedAsync(() => _vault.Secrets.SetSecretAsync("s", "bad\ud800"));
    }

    [Fact]
    public async Task More_than_15_tags_are_refused()
    {
        var secret = new KeyVaultSecret("tags", "v");
        for (var i = 0; i < 16; i++)
        {
            secret.Properties.Tags[$"t{i}"] = "v";
        }

        (await RefusedAsync(() => _vault.Secrets.SetSecretAsync(secret))).Message.Should().Contain("15");
        secret.Properties.Tags.Remove("t15");
        await _vault.Secrets.SetSecretAsync(secret);
    }

    [Fact]
    public async Task Tag_names_and_values_longer_than_256_characters_are_refused()
    {
        var longName = new KeyVaultSecret("tags", "v");
        longName.Properties.Tags[new string('n', 257)] = "v";
        var longValue = new KeyVaultSecret("tags", "v");
        longValue.Properties.Tags["n"] = new string('v', 257);
        var atLimit = new KeyVaultSecret("tags", "v");
        atLimit.Properties.Tags[new string('n', 256)] = new string('v', 256);

        (await RefusedAsync(() => _vault.Secrets.SetSecretAsync(longName))).Message.Should().Contain("256");
        (await RefusedAsync(() => _vault.Secrets.SetSecretAsync(longValue))).Message.Should().Contain("256");
        await _vault.Secrets.SetSecretAsync(atLimit);
    }

    [Fact]
    public async Task A_content_type_longer_than_255_characters_is_refused()
    {
        var secret = new KeyVaultSecret("ct", "v");
        secret.Properties.ContentType = new string('c', 256);

        (await RefusedAsync(() => _vault.Secrets.SetSecretAsync(secret))).Message.Should().Contain("255");
        (await RefusedAsync(() => _vault.Secrets.UpdateSecretPropertiesAsync(new SecretProperties("existing") { ContentType = new string('c', 256) })))
            .Message.Should().Contain("255");
    }

    [Fact]
    public async Task NotBefore_after_expiry_is_refused()
    {
        var secret = new KeyVaultSecret("dates", "v");
        secret.Properties.NotBefore = DateTimeOffset.UnixEpoch.AddDays(2);
        secret.Properties.ExpiresOn = DateTimeOffset.UnixEpoch.AddDays(1);

        await RefusedAsync(() => _vault.Secrets.SetSecretAsync(secret));
    }

    [Fact]
    public async Task A_malformed_version_is_refused()
    {
        (await RefusedAsync(() => _vault.Secrets.GetSecretAsync("existing", "not-a-version"))).Message.Should().Contain("32");
    }

    private async Task<VaultException> RefusedAsync(Func<Task> act)
    {
        var writesBefore = _files.Log.Events.Count + _files.Data.Events.Count;

        var error = (await act.Should().ThrowAsync<VaultException>()).Which;

        error.ErrorCode.Should().Be(VaultErrorCode.BadParameter);
        error.Status.Should().Be(400);
        (_files.Log.Events.Count + _files.Data.Events.Count).Should().Be(writesBefore, "a refused call writes nothing");
        return error;
    }
}
