using Microsoft.Extensions.Options;

namespace KeyVault.Embedded.Hosting;

/// <summary>
/// Validates options at host start from their list of problems, naming each bad setting by its configuration path
/// (<c>EmbeddedVault:Root:KeyFile names '...', which does not exist</c>).
/// </summary>
internal sealed class SettingsValidator<TOptions>(string sectionPath, Func<TOptions, IEnumerable<(string Setting, string Problem)>> problems)
    : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var failures = Describe(sectionPath, problems(options));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Each problem as one message, prefixed by its setting's full path.</summary>
    public static List<string> Describe(string sectionPath, IEnumerable<(string Setting, string Problem)> problems) =>
        problems.Select(p => $"{sectionPath}:{p.Setting} {p.Problem}").ToList();
}
