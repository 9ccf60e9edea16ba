using KeyVault.Embedded.Lifecycle;

namespace KeyVault.Embedded.Sealing;

/// <summary>What a sealed payload is bound to, besides the vault and its attributes: type, canonical name, version.</summary>
internal readonly record struct RecordIdentity(ObjectType Type, string NormalizedName, string Version);
