namespace KeyVault.Embedded.Keys;

/// <summary>What a rotation policy's lifetime action does.</summary>
/// <param name="Value">The action's name.</param>
public readonly record struct KeyRotationPolicyAction(string Value)
{
    /// <summary>Make a new key version of the same type and size.</summary>
    public static KeyRotationPolicyAction Rotate { get; } = new("Rotate");

    /// <summary>Raise a near-expiry notification.</summary>
    public static KeyRotationPolicyAction Notify { get; } = new("Notify");

    /// <summary>Converts a string to an action.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator KeyRotationPolicyAction(string value) => new(value);

    /// <summary>The action's name.</summary>
    public override string ToString() => Value;
}
