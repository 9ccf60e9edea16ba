using System.Reflection;
using System.Text.RegularExpressions;
using AzureCertificates = Azure.Security.KeyVault.Certificates;
using AzureSecrets = Azure.Security.KeyVault.Secrets;

namespace KeyVault.Embedded.Tests.Api;

/// <summary>
/// Azure SDK parity, measured against the real packages (Azure.Security.KeyVault.Secrets 4.12.0 and
/// Azure.Security.KeyVault.Certificates 4.10.0, test-only references): every public type of theirs has a counterpart
/// of the same name in the same-named namespace of ours, every operation of a client is on our store, and every
/// property and method of a model is on ours, with Azure's shape (the result type once Azure's transport wrappers are
/// taken off: <c>Response&lt;T&gt;</c>, <c>Pageable&lt;T&gt;</c>, <c>Operation&lt;T&gt;</c>; parameter names). What is
/// deliberately left out is listed, with the reason, in README's "Differences from the Azure SDK" section: an entry
/// there that is no longer left out (or is not Azure's) fails too, so the list stays true.
/// </summary>
public sealed partial class AzureParityTests
{
    private static readonly Assembly Ours = typeof(EmbeddedVault).Assembly;

    private static readonly (Type Azure, Type Ours)[] Clients =
    [
        (typeof(AzureSecrets.SecretClient), typeof(KeyVault.Embedded.Secrets.ISecretStore)),
        (typeof(AzureCertificates.CertificateClient), typeof(KeyVault.Embedded.Certificates.ICertificateStore)),
    ];

    [Fact]
    public void Every_Azure_operation_and_model_member_is_present_or_listed_as_a_deliberate_omission()
    {
        var omissions = ReadOmissions();
        var gaps = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        foreach (var azureType in AzureTypes())
        {
            var typeName = DisplayName(azureType);
            seen.Add(typeName);
            var ourType = Counterpart(azureType);
            if (ourType is null)
            {
                if (!omissions.Contains(typeName))
                {
                    gaps.Add($"{typeName}: no type of that name in {OurNamespace(azureType)}");
                }

                continue;
            }

            foreach (var (member, problem) in Compare(azureType, ourType))
            {
                var key = $"{typeName}.{member}";
                seen.Add(key);
                if (problem is not null && !omissions.Contains(key) && !omissions.Contains(typeName))
                {
                    gaps.Add($"{key}: {problem}");
                }
            }
        }

        // Every Azure operation and model member is ours with Azure's shape, or README says why not.
        Assert.True(gaps.Count == 0, $"{gaps.Count} gaps:\n{string.Join('\n', gaps)}");

        // The list of omissions is only what is still omitted: not a member we now have, not a name Azure lacks.
        omissions.Where(o => !seen.Contains(o)).Should().BeEmpty("README lists only names the Azure packages have");
        var present = omissions.Where(o => seen.Contains(o) && IsPresent(o)).ToList();
        present.Should().BeEmpty("README's omissions are members we lack, not ones we have");
    }

    [Fact]
    public void The_comparison_finds_a_missing_member()
    {
        // The check is not vacuous: against a type that lacks most of KeyVaultSecret's members it reports them.
        var problems = Compare(typeof(AzureSecrets.KeyVaultSecret), typeof(KeyVault.Embedded.VaultProgress))
            .Where(p => p.Problem is not null).Select(p => p.Member).ToList();
        problems.Should().Contain(["Value", "Properties", "Name"]);
    }

    private static IEnumerable<Type> AzureTypes() =>
        new[] { typeof(AzureSecrets.SecretClient).Assembly, typeof(AzureCertificates.CertificateClient).Assembly }
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => t.Namespace is "Azure.Security.KeyVault.Secrets" or "Azure.Security.KeyVault.Certificates")
            .OrderBy(t => t.FullName, StringComparer.Ordinal);

    private static string DisplayName(Type azureType) =>
        azureType.IsNested ? $"{azureType.DeclaringType!.Name}.{azureType.Name}" : azureType.Name;

    private static string OurNamespace(Type azureType) =>
        azureType.Namespace!.Replace("Azure.Security.KeyVault", "KeyVault.Embedded", StringComparison.Ordinal);

    private static Type? Counterpart(Type azureType)
    {
        var client = Clients.FirstOrDefault(c => c.Azure == azureType);
        if (client.Ours is not null)
        {
            return client.Ours;
        }

        var name = azureType.IsNested ? $"{azureType.DeclaringType!.Name}+{azureType.Name}" : azureType.Name;
        return Ours.GetType($"{OurNamespace(azureType)}.{name}");
    }

    private static IEnumerable<(string Member, string? Problem)> Compare(Type azureType, Type ourType)
    {
        foreach (var property in AzureProperties(azureType))
        {
            var ours = OurProperties(ourType).FirstOrDefault(p => p.Name == property.Name);
            yield return (property.Name, ours is null ? "no such property"
                : SameShape(property.PropertyType, ours.PropertyType) ? null
                : $"is {ours.PropertyType.Name}, Azure's is {property.PropertyType.Name}");
        }

        foreach (var group in AzureMethods(azureType).GroupBy(m => m.Name))
        {
            var candidates = OurMethods(ourType).Where(m => m.Name == group.Key).ToList();
            string? problem = null;
            if (candidates.Count == 0)
            {
                problem = "no such method";
            }
            else
            {
                foreach (var overload in group)
                {
                    var parameters = ParameterNames(overload);
                    // Ours takes Azure's parameters, by name and in order; any further ones are optional, so a call
                    // written for Azure binds.
                    var match = candidates.FirstOrDefault(c => ParameterNames(c).Take(parameters.Length).SequenceEqual(parameters)
                        && c.GetParameters().Where(p => p.ParameterType != typeof(CancellationToken)).Skip(parameters.Length).All(p => p.HasDefaultValue));
                    if (match is null)
                    {
                        problem = $"no overload ({string.Join(", ", parameters)})";
                        break;
                    }

                    if (!SameShape(Unwrap(overload.ReturnType), Unwrap(match.ReturnType)))
                    {
                        problem = $"({string.Join(", ", parameters)}) returns {match.ReturnType.Name}, Azure's {overload.ReturnType.Name}";
                        break;
                    }
                }
            }

            yield return (group.Key, problem);
        }
    }

    private static bool IsPresent(string omission)
    {
        var dot = omission.IndexOf('.', StringComparison.Ordinal);
        var azureType = AzureTypes().FirstOrDefault(t => DisplayName(t) == (dot < 0 ? omission : omission[..dot])
            || (dot > 0 && DisplayName(t) == omission[..omission.LastIndexOf('.')]));
        if (azureType is null || Counterpart(azureType) is not { } ours)
        {
            return false;
        }

        if (DisplayName(azureType) == omission)
        {
            return true;
        }

        var member = omission[(DisplayName(azureType).Length + 1)..];
        return Compare(azureType, ours).Any(c => c.Member == member && c.Problem is null);
    }

    // Azure's members that are its own: declared on the type or on a base type from the same package (DeletedSecret
    // is a KeyVaultSecret), not Azure.Core's Operation<T> or object's.
    private static IEnumerable<PropertyInfo> AzureProperties(Type type) =>
        AzureOwnTypes(type).SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .GroupBy(p => p.Name).Select(g => g.First());

    private static IEnumerable<MethodInfo> AzureMethods(Type type) =>
        AzureOwnTypes(type).SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => !m.IsSpecialName && m.Name is not ("Equals" or "GetHashCode" or "ToString"));

    private static IEnumerable<Type> AzureOwnTypes(Type type)
    {
        for (var t = type; t is not null && t.Assembly == type.Assembly; t = t.BaseType)
        {
            yield return t;
        }
    }

    private static IEnumerable<PropertyInfo> OurProperties(Type type) =>
        (type.IsInterface ? type.GetInterfaces().Prepend(type) : [type])
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.FlattenHierarchy));

    private static IEnumerable<MethodInfo> OurMethods(Type type) =>
        (type.IsInterface ? type.GetInterfaces().Prepend(type) : [type])
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.FlattenHierarchy));

    private static string[] ParameterNames(MethodInfo method) =>
        method.GetParameters().Where(p => p.ParameterType != typeof(CancellationToken)).Select(p => p.Name!).ToArray();

    // The value under Azure's transport wrappers and ours: Task<T>, ValueTask<T>, Response<T>, Pageable<T> (a sequence),
    // Operation<T> subclasses stay as they are (they are models).
    private static Type Unwrap(Type type)
    {
        while (type.IsGenericType && type.GetGenericTypeDefinition() is var definition
            && (definition == typeof(Task<>) || definition == typeof(ValueTask<>) || definition.FullName == "Azure.Response`1"
                || definition.FullName == "Azure.NullableResponse`1"))
        {
            type = type.GetGenericArguments()[0];
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() is var sequence
            && (sequence.FullName is "Azure.Pageable`1" or "Azure.AsyncPageable`1"
                || sequence == typeof(IEnumerable<>) || sequence == typeof(IAsyncEnumerable<>)))
        {
            return typeof(IEnumerable<>).MakeGenericType(type.GetGenericArguments()[0]);
        }

        return type == typeof(Task) || type == typeof(ValueTask) || type.FullName == "Azure.Response" ? typeof(void) : type;
    }

    private static bool SameShape(Type azure, Type ours)
    {
        if (azure.Assembly.GetName().Name!.StartsWith("Azure.Security.KeyVault", StringComparison.Ordinal))
        {
            return ours.Name == azure.Name && ours.Assembly == Ours;
        }

        if (Nullable.GetUnderlyingType(azure) is { } azureValue)
        {
            return Nullable.GetUnderlyingType(ours) is { } ourValue && SameShape(azureValue, ourValue);
        }

        if (azure.IsGenericType && !azure.IsGenericTypeDefinition)
        {
            // A collection of Azure's shape: ours may be the same interface or one that implements it (a read-only list
            // is an IEnumerable<T>), with elements of the same shape.
            var definition = azure.GetGenericTypeDefinition();
            var candidates = (ours.IsGenericType ? [ours] : Array.Empty<Type>()).Concat(ours.GetInterfaces())
                .Where(t => t.IsGenericType && t.GetGenericTypeDefinition() == definition);
            return candidates.Any(c => c.GetGenericArguments().Zip(azure.GetGenericArguments()).All(pair => SameShape(pair.Second, pair.First)));
        }

        return azure == ours;
    }

    private static HashSet<string> ReadOmissions()
    {
        var readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md"));
        var start = readme.IndexOf("## Differences from the Azure SDK", StringComparison.Ordinal);
        start.Should().BeGreaterThan(0, "README has the section that lists what is left out");
        var end = readme.IndexOf("\n## ", start + 3, StringComparison.Ordinal);
        var section = end < 0 ? readme[start..] : readme[start..end];
        // Each bullet (continued on indented lines) names its members in backticks before the colon that starts its reason.
        var bullets = Bullet().Matches(section).Select(m => Regex.Replace(m.Value, @"\s+", " "));
        return bullets.Select(b => b[..(b.IndexOf("`:", StringComparison.Ordinal) + 1)])
            .SelectMany(names => Name().Matches(names).Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);
    }

    [GeneratedRegex(@"^- `[^\n]*(\n  [^\n]*)*", RegexOptions.Multiline)]
    private static partial Regex Bullet();

    [GeneratedRegex(@"`([A-Za-z][A-Za-z.]*)`")]
    private static partial Regex Name();
}
