using System.Diagnostics;
using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using KeyVault.Embedded.Tests.Support;

namespace KeyVault.Embedded.Tests.Api;

/// <summary>
/// Packs the libraries (from the build the tests run on) and inspects what a user would install: the XML docs beside
/// each assembly, the readme declared, the license expression, the version, the description, the dependencies, and a
/// symbols package whose PDB embeds the sources.
/// </summary>
public sealed class PackageTests : IDisposable
{
    private static readonly (string Project, string[] Dependencies)[] Libraries =
    [
        ("KeyVault.Embedded", ["BouncyCastle.Cryptography", "LiteDB", "Microsoft.Extensions.Configuration", "Microsoft.Extensions.Configuration.Binder",
            "Microsoft.Extensions.DependencyInjection.Abstractions", "Microsoft.Extensions.Diagnostics.Abstractions", "Microsoft.Extensions.Diagnostics.HealthChecks",
            "Microsoft.Extensions.Hosting.Abstractions", "Microsoft.Extensions.Logging.Abstractions", "Microsoft.Extensions.Options", "Microsoft.Extensions.Options.ConfigurationExtensions"]),
        ("KeyVault.Embedded.Pkcs11", ["KeyVault.Embedded", "Microsoft.Extensions.DependencyInjection.Abstractions", "Microsoft.Extensions.Options.ConfigurationExtensions", "Pkcs11Interop"]),
        // JwtBearer: the validated-token cache wraps its token handlers (the REST front's hosts validate with it).
        ("KeyVault.Embedded.AspNetCore", ["KeyVault.Embedded", "Microsoft.AspNetCore.Authentication.JwtBearer"]),
        ("KeyVault.Embedded.PostgreSql", ["KeyVault.Embedded", "Microsoft.Extensions.DependencyInjection.Abstractions", "Microsoft.Extensions.Options.ConfigurationExtensions", "Npgsql"]),
    ];

    private readonly TempDirectory _dir = new();

    public static TheoryData<string> Projects => new(Libraries.Select(l => l.Project));

    [Theory]
    [MemberData(nameof(Projects))]
    public void A_library_package_carries_docs_readme_license_version_dependencies_and_symbols(string project)
    {
        var root = RepositoryRoot();
        var version = XDocument.Load(Path.Combine(root, "Directory.Build.props")).Descendants("VersionPrefix").Single().Value + "-"
            + XDocument.Load(Path.Combine(root, "Directory.Build.props")).Descendants("VersionSuffix").Single().Value;
        Pack(root, project);

        using var package = ZipFile.OpenRead(Path.Combine(_dir.Path, $"{project}.{version}.nupkg"));
        var entries = package.Entries.Select(e => e.FullName).ToList();
        entries.Should().Contain([$"lib/net10.0/{project}.dll", $"lib/net10.0/{project}.xml", "README.md"]);
        using (var xml = package.GetEntry($"lib/net10.0/{project}.xml")!.Open())
        {
            XDocument.Load(xml).Descendants("member").Should().NotBeEmpty("the documentation file holds the public members' docs");
        }

        XNamespace ns = XDocument.Load(package.GetEntry($"{project}.nuspec")!.Open()).Root!.Name.Namespace;
        var metadata = XDocument.Load(package.GetEntry($"{project}.nuspec")!.Open()).Root!.Element(ns + "metadata")!;
        metadata.Element(ns + "version")!.Value.Should().Be(version).And.Contain("-", "a prerelease until 1.0");
        metadata.Element(ns + "readme")!.Value.Should().Be("README.md");
        metadata.Element(ns + "license")!.Value.Should().Be("MIT");
        metadata.Element(ns + "license")!.Attribute("type")!.Value.Should().Be("expression");
        metadata.Element(ns + "description")!.Value.Should().NotBeNullOrWhiteSpace();
        metadata.Element(ns + "repository").Should().NotBeNull();
        var dependencies = metadata.Descendants(ns + "dependency").Select(d => d.Attribute("id")!.Value).ToList();
        dependencies.Should().BeEquivalentTo(Libraries.Single(l => l.Project == project).Dependencies, "analyzers stay private, and nothing else is pulled in");
        foreach (var core in metadata.Descendants(ns + "dependency").Where(d => d.Attribute("id")!.Value == "KeyVault.Embedded"))
        {
            core.Attribute("version")!.Value.Should().Be(version, "the packages are released together");
        }

        using var symbols = ZipFile.OpenRead(Path.Combine(_dir.Path, $"{project}.{version}.snupkg"));
        var pdbEntry = symbols.GetEntry($"lib/net10.0/{project}.pdb");
        pdbEntry.Should().NotBeNull("the symbols package holds the PDB");
        using var pdb = new MemoryStream();
        using (var stream = pdbEntry!.Open())
        {
            stream.CopyTo(pdb);
        }

        pdb.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(pdb);
        var reader = provider.GetMetadataReader();
        var embedded = reader.CustomDebugInformation.Select(reader.GetCustomDebugInformation)
            .Count(c => reader.GetGuid(c.Kind) == new Guid("0E8A571B-6926-466E-B4AD-8AB04611F5FE")); // EmbeddedSource
        embedded.Should().Be(reader.Documents.Count, "every source file is embedded, so a debugger needs no checkout");

        using var dll = new PEReader(new MemoryStream(package.GetEntry($"lib/net10.0/{project}.dll")!.Open().ReadAllBytes()));
        dll.ReadDebugDirectory().Should().Contain(e => e.Type == DebugDirectoryEntryType.Reproducible, "the build is deterministic");
        AssemblyMetadata(dll.GetMetadataReader()).Should().Contain(("IsTrimmable", "True"),
            "every library declares IsAotCompatible (its own code passes the trimming and AOT analyzers), which marks it trimmable");
    }

    /// <summary>The assembly's <c>[AssemblyMetadata(key, value)]</c> pairs.</summary>
    private static List<(string Key, string? Value)> AssemblyMetadata(MetadataReader reader)
    {
        var pairs = new List<(string, string?)>();
        foreach (var handle in reader.GetAssemblyDefinition().GetCustomAttributes())
        {
            var attribute = reader.GetCustomAttribute(handle);
            if (attribute.Constructor.Kind != HandleKind.MemberReference)
            {
                continue;
            }

            var type = reader.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent;
            if (type.Kind != HandleKind.TypeReference || reader.GetString(reader.GetTypeReference((TypeReferenceHandle)type).Name) != "AssemblyMetadataAttribute")
            {
                continue;
            }

            var blob = reader.GetBlobReader(attribute.Value);
            blob.ReadUInt16().Should().Be(1, "a custom attribute blob starts with its prolog");
            pairs.Add((blob.ReadSerializedString()!, blob.ReadSerializedString()));
        }

        return pairs;
    }

    public void Dispose() => _dir.Dispose();

    private void Pack(string root, string project)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (var argument in new[] { "pack", $"src/{project}/{project}.csproj", "-c", "Release", "--no-build", "--no-restore", "-o", _dir.Path, "-nologo" })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.Should().Be(0, $"dotnet pack succeeds: {output.Result} {error}");
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "KeyVault.Embedded.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The tests run outside the repository.");
    }
}

internal static class StreamExtensions
{
    public static byte[] ReadAllBytes(this Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
