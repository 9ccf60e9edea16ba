namespace KeyVault.Embedded.Keys;

/// <summary>Key type families and their rules: sizes, curves and the operations each family can do.</summary>
internal static class KeyTypes
{
    public static readonly int[] RsaSizes = [2048, 3072, 4096];
    public static readonly int[] OctSizes = [128, 192, 256];

    /// <summary>RSA, EC or oct for a type and its -HSM form; throws <c>BadParameter</c> for any other type.</summary>
    public static KeyType Family(KeyType type) => type.Value switch
    {
        "RSA" or "RSA-HSM" => KeyType.Rsa,
        "EC" or "EC-HSM" => KeyType.Ec,
        "oct" or "oct-HSM" => KeyType.Oct,
        _ => throw VaultErrors.BadParameter($"Key type '{type}' is not supported: use RSA, EC or oct, or their -HSM forms."),
    };

    public static bool IsHsm(KeyType type) => type.Value is "RSA-HSM" or "EC-HSM" or "oct-HSM";

    public static KeyType HsmForm(KeyType family) => family == KeyType.Rsa ? KeyType.RsaHsm : family == KeyType.Ec ? KeyType.EcHsm : KeyType.OctHsm;

    /// <summary>
    /// The operations to store for a new key: the given ones (each must suit the family) or the family's defaults.
    /// </summary>
    public static IReadOnlyList<string> Operations(KeyType family, IEnumerable<KeyOperation>? requested)
    {
        var allowed = JsonWebKey.DefaultOperations(family);
        if (requested is null)
        {
            return allowed.Select(o => o.Value).ToList();
        }

        var result = new List<string>();
        foreach (var operation in requested)
        {
            if (!allowed.Contains(operation))
            {
                throw VaultErrors.BadParameter(
                    $"Key operation '{operation}' is not valid for a {family} key: allowed are {string.Join(", ", allowed)}.");
            }

            if (!result.Contains(operation.Value))
            {
                result.Add(operation.Value);
            }
        }

        return result;
    }

    public static void ValidateSize(KeyType family, int size)
    {
        var sizes = family == KeyType.Rsa ? RsaSizes : OctSizes;
        if (!sizes.Contains(size))
        {
            throw VaultErrors.BadParameter($"{family} keys are {string.Join(", ", sizes)} bits; {size} was asked for.");
        }
    }
}
