namespace KeyVault.Embedded.Keys;

/// <summary>What a rotation policy's lifetime action does.</summary>
public readonly struct KeyRotationPolicyAction : IEquatable<KeyRotationPolicyAction>
{
    private readonly string _value;

    // The predefined names, in their predefined spelling: a value equal to one (ignoring case) takes that spelling, so
    // what is stored and compared inside the vault is always the canonical name.
    private static readonly string[] Known = ["Rotate", "Notify"];

    /// <summary>Creates a value; the predefined ones are the static properties.</summary>
    /// <param name="value">The name, compared without regard to case; a predefined name takes its predefined spelling.</param>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    public KeyRotationPolicyAction(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = Array.Find(Known, known => string.Equals(known, value, StringComparison.OrdinalIgnoreCase)) ?? value;
    }

    /// <summary>Make a new key version of the same type and size.</summary>
    public static KeyRotationPolicyAction Rotate { get; } = new("Rotate");

    /// <summary>Raise a near-expiry notification.</summary>
    public static KeyRotationPolicyAction Notify { get; } = new("Notify");

    /// <summary>The name: the predefined spelling of a predefined one, else as given (null for the default value).</summary>
    internal string Value => _value;

    /// <summary>Whether two values have the same name, without regard to case.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>True when they are equal.</returns>
    public static bool operator ==(KeyRotationPolicyAction left, KeyRotationPolicyAction right) => left.Equals(right);

    /// <summary>Whether two values have different names, without regard to case.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns>True when they differ.</returns>
    public static bool operator !=(KeyRotationPolicyAction left, KeyRotationPolicyAction right) => !left.Equals(right);

    /// <summary>Converts a string.</summary>
    /// <param name="value">The name.</param>
    public static implicit operator KeyRotationPolicyAction(string value) => new(value);

    /// <summary>Whether <paramref name="other"/> has the same name, without regard to case.</summary>
    /// <param name="other">The other value.</param>
    /// <returns>True when they are equal.</returns>
    public bool Equals(KeyRotationPolicyAction other) => string.Equals(_value, other._value, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is KeyRotationPolicyAction other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _value is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(_value);

    /// <summary>The name.</summary>
    /// <returns>The name: the predefined spelling of a predefined one, else as given.</returns>
    public override string ToString() => _value;
}
