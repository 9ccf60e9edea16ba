namespace KeyVault.Embedded.Lifecycle;

/// <summary>One version to create: the object, its attributes, and the payload to seal (owned by the caller).</summary>
/// <param name="Type">The object's type.</param>
/// <param name="Name">The object's name.</param>
/// <param name="Attributes">The version's attributes.</param>
/// <param name="Payload">What to seal.</param>
/// <param name="ObjectPolicy">When set, replaces the object's policy in the same transaction.</param>
internal sealed record VersionWrite(ObjectType Type, string Name, RecordAttributes Attributes, ReadOnlyMemory<byte> Payload, string? ObjectPolicy = null);
