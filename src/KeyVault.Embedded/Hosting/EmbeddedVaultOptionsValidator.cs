using Microsoft.Extensions.Options;

namespace KeyVault.Embedded.Hosting;

/// <summary>Validates <see cref="EmbeddedVaultOptions"/> at host start, naming each bad setting by its configuration path.</summary>
internal sealed class EmbeddedVaultOptionsValidator : IValidateOptions<EmbeddedVaultOptions>
{
    private readonly string _sectionPath;

    public EmbeddedVaultOptionsValidator(string sectionPath)
    {
        _sectionPath = sectionPath;
    }

    public ValidateOptionsResult Validate(string? name, EmbeddedVaultOptions options)
    {
        var failures = options.Problems().Select(p => $"{_sectionPath}:{p.Setting} {p.Problem}").ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
