using System.Reflection;
using System.Text;

namespace KeyVault.Embedded.Tests.Support;

/// <summary>Writes an assembly's public surface as text, one type and its members at a time, for approval tests.</summary>
internal static class PublicApi
{
    /// <summary>
    /// Fails, writing the received surface beside the tests (<c>PublicApi.received.txt</c> for <c>PublicApi.approved.txt</c>),
    /// when the surface differs from the approved file (copied to the output under its own name).
    /// </summary>
    public static void ShouldMatchApproved(Assembly assembly, string approvedFileInSource)
    {
        var actual = Describe(assembly);
        var approvedName = Path.GetFileName(approvedFileInSource);
        var approvedPath = Path.Combine(AppContext.BaseDirectory, approvedName);
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : string.Empty;
        if (actual != approved)
        {
            var received = Path.Combine(AppContext.BaseDirectory, approvedName.Replace(".approved.", ".received.", StringComparison.Ordinal));
            File.WriteAllText(received, actual);
            actual.Should().Be(approved, $"the public API changed: review {received} and copy it over {approvedFileInSource}");
        }
    }

    public static string Describe(Assembly assembly)
    {
        var text = new StringBuilder();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            text.Append(Kind(type)).Append(' ').Append(Name(type));
            var bases = new List<string>();
            if (type.BaseType is { } baseType && baseType != typeof(object) && baseType != typeof(ValueType) && baseType != typeof(Enum))
            {
                bases.Add(Name(baseType));
            }

            bases.AddRange(type.GetInterfaces().Select(Name).Order(StringComparer.Ordinal));
            if (bases.Count > 0)
            {
                text.Append(" : ").AppendJoin(", ", bases);
            }

            text.Append('\n');
            foreach (var member in Members(type).Order(StringComparer.Ordinal))
            {
                text.Append("  ").Append(member).Append('\n');
            }
        }

        return text.ToString();
    }

    private static IEnumerable<string> Members(Type type)
    {
        const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var member in type.GetMembers(flags))
        {
            switch (member)
            {
                case ConstructorInfo c when Visible(c):
                    yield return $"ctor({Parameters(c)})";
                    break;
                case MethodInfo m when Visible(m) && !m.IsSpecialName:
                    yield return $"{(m.IsStatic ? "static " : string.Empty)}{Name(m.ReturnType)} {m.Name}{Generic(m)}({Parameters(m)})";
                    break;
                case MethodInfo m when Visible(m) && m.Name.StartsWith("op_", StringComparison.Ordinal):
                    yield return $"static {Name(m.ReturnType)} {m.Name}({Parameters(m)})";
                    break;
                case PropertyInfo p when p.GetMethod is { } get && Visible(get):
                    var setter = p.SetMethod is { } set && Visible(set) ? " set;" : string.Empty;
                    yield return $"{(get.IsStatic ? "static " : string.Empty)}{Name(p.PropertyType)} {p.Name} {{ get;{setter} }}";
                    break;
                case FieldInfo f when (f.IsPublic || f.IsFamily) && !f.IsSpecialName:
                    yield return $"{(f.IsLiteral ? "const " : f.IsStatic ? "static " : string.Empty)}{Name(f.FieldType)} {f.Name}";
                    break;
                case EventInfo e when e.AddMethod is { } add && Visible(add):
                    yield return $"event {Name(e.EventHandlerType!)} {e.Name}";
                    break;
            }
        }
    }

    private static bool Visible(MethodBase method) => method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly;

    private static string Kind(Type type) =>
        type.IsInterface ? "interface" :
        type.IsEnum ? "enum" :
        type.IsValueType ? "struct" :
        type.IsAbstract && type.IsSealed ? "static class" :
        type.IsSealed ? "sealed class" :
        type.IsAbstract ? "abstract class" : "class";

    private static string Generic(MethodInfo method) =>
        method.IsGenericMethodDefinition ? $"<{string.Join(", ", method.GetGenericArguments().Select(a => a.Name))}>" : string.Empty;

    private static string Parameters(MethodBase method) =>
        string.Join(", ", method.GetParameters().Select(p => $"{Name(p.ParameterType)} {p.Name}{(p.HasDefaultValue ? " = " + (p.DefaultValue ?? "null") : string.Empty)}"));

    private static string Name(Type type)
    {
        if (type.IsByRef)
        {
            return "ref " + Name(type.GetElementType()!);
        }

        if (type.IsArray)
        {
            return Name(type.GetElementType()!) + "[]";
        }

        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            return Name(underlying) + "?";
        }

        if (type.IsGenericParameter)
        {
            return type.Name;
        }

        var name = type.Namespace is null ? type.Name : $"{type.Namespace}.{type.Name}";
        if (type.IsGenericType)
        {
            name = name[..name.IndexOf('`')] + "<" + string.Join(", ", type.GetGenericArguments().Select(Name)) + ">";
        }

        return name;
    }
}
