namespace KeyVault.Embedded.Records;

/// <summary>The kind of root a vault was sealed under, and the root's non-secret parameters (salt, cost, labels).</summary>
internal sealed record RootDescriptor(string Kind, IReadOnlyDictionary<string, string> Parameters);
