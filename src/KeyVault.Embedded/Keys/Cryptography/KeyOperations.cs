namespace KeyVault.Embedded.Keys.Cryptography;

/// <summary>A key's allowed operations as bits, so the hot path checks them without strings.</summary>
[Flags]
internal enum KeyOperations
{
    None = 0,
    Encrypt = 1,
    Decrypt = 2,
    Sign = 4,
    Verify = 8,
    WrapKey = 16,
    UnwrapKey = 32,

    /// <summary>What Azure still allows outside a key's notBefore/expiresOn window: undoing, never producing.</summary>
    AllowedOutsideValidity = Decrypt | UnwrapKey | Verify,
}

internal static class KeyOperationNames
{
    public static KeyOperations Parse(IEnumerable<string> names)
    {
        var result = KeyOperations.None;
        foreach (var name in names)
        {
            result |= name switch
            {
                "encrypt" => KeyOperations.Encrypt,
                "decrypt" => KeyOperations.Decrypt,
                "sign" => KeyOperations.Sign,
                "verify" => KeyOperations.Verify,
                "wrapKey" => KeyOperations.WrapKey,
                "unwrapKey" => KeyOperations.UnwrapKey,
                _ => KeyOperations.None,
            };
        }

        return result;
    }

    public static string Name(KeyOperations operation) => operation switch
    {
        KeyOperations.Encrypt => "encrypt",
        KeyOperations.Decrypt => "decrypt",
        KeyOperations.Sign => "sign",
        KeyOperations.Verify => "verify",
        KeyOperations.WrapKey => "wrapKey",
        KeyOperations.UnwrapKey => "unwrapKey",
        _ => operation.ToString(),
    };
}
