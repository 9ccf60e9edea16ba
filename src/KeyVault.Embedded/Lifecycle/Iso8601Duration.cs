using System.Globalization;
using System.Text.RegularExpressions;

namespace KeyVault.Embedded.Lifecycle;

/// <summary>
/// An ISO 8601 duration (<c>P1Y2M10DT2H30M</c>, <c>P6W</c>) as Azure Key Vault's policies use them, added to a date
/// on the calendar (a month is a calendar month, not 30 days). .NET's <c>XmlConvert.ToTimeSpan</c> parses the
/// syntax but turns months and years into fixed day counts, which puts due dates on the wrong day.
/// </summary>
internal readonly partial record struct Iso8601Duration(int Years, int Months, int Weeks, int Days, int Hours, int Minutes, int Seconds)
{
    /// <summary>The longest duration a policy may name (a longer one would run past the calendar's end).</summary>
    private const int MaxYears = 1000;

    /// <exception cref="VaultException"><c>BadParameter</c> naming <paramref name="field"/> when the text is not a duration.</exception>
    public static Iso8601Duration Parse(string text, string field) => Parse(text, field, limited: true);

    /// <summary>
    /// A duration a policy stored when it was set. Those were checked by the rules of their day, which let a final
    /// newline and longer durations through: they keep meaning what they meant, so that no stored policy makes a
    /// background pass throw.
    /// </summary>
    public static Iso8601Duration ParseStored(string text, string field) => Parse(text.TrimEnd('\r', '\n'), field, limited: false);

    private static Iso8601Duration Parse(string text, string field, bool limited)
    {
        var match = Pattern().Match(text);
        if (!match.Success)
        {
            throw VaultErrors.BadParameter($"{field} '{text}' is not an ISO 8601 duration such as P90D, P3M, P1Y or PT48H.");
        }

        int Part(string name) => match.Groups[name].Success ? int.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
        var duration = new Iso8601Duration(Part("y"), Part("mo"), Part("w"), Part("d"), Part("h"), Part("mi"), Part("s"));
        if (limited && duration.AddTo(DateTimeOffset.UnixEpoch) > DateTimeOffset.UnixEpoch.AddYears(MaxYears))
        {
            throw VaultErrors.BadParameter($"{field} '{text}' is longer than {MaxYears} years.");
        }

        return duration;
    }

    /// <summary>
    /// The date <paramref name="value"/> plus this duration; <see cref="DateTimeOffset.MaxValue"/> when that is past
    /// the calendar's end (a date stored near it, a clock set far ahead), so that a due check is "not yet", never a throw.
    /// </summary>
    public DateTimeOffset AddTo(DateTimeOffset value) => Saturated(value, 1) ?? DateTimeOffset.MaxValue;

    /// <summary>
    /// The date <paramref name="value"/> less this duration; <see cref="DateTimeOffset.MinValue"/> when that is before
    /// the calendar's start (an expiry stored near year 1), so that a due check is "due", never a throw.
    /// </summary>
    public DateTimeOffset SubtractFrom(DateTimeOffset value) => Saturated(value, -1) ?? DateTimeOffset.MinValue;

    private DateTimeOffset? Saturated(DateTimeOffset value, int sign)
    {
        try
        {
            return value
                .AddYears(sign * Years).AddMonths(sign * Months).AddDays(sign * ((Weeks * 7) + Days))
                .AddHours(sign * Hours).AddMinutes(sign * Minutes).AddSeconds(sign * Seconds);
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>The length of this duration when it starts at <paramref name="from"/>.</summary>
    public TimeSpan LengthFrom(DateTimeOffset from) => AddTo(from) - from;

    // ASCII digits only (.NET's \d also matches other scripts' digits), and nothing after the duration (\z, not $,
    // which also matches before a final newline).
    [GeneratedRegex(@"\AP(?=[0-9]|T[0-9])(?:(?<y>[0-9]{1,4})Y)?(?:(?<mo>[0-9]{1,4})M)?(?:(?<w>[0-9]{1,4})W)?(?:(?<d>[0-9]{1,5})D)?(?:T(?=[0-9])(?:(?<h>[0-9]{1,6})H)?(?:(?<mi>[0-9]{1,7})M)?(?:(?<s>[0-9]{1,9})S)?)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
