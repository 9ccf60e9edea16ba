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
    /// <exception cref="VaultException"><c>BadParameter</c> naming <paramref name="field"/> when the text is not a duration.</exception>
    public static Iso8601Duration Parse(string text, string field)
    {
        var match = Pattern().Match(text);
        if (!match.Success)
        {
            throw VaultErrors.BadParameter($"{field} '{text}' is not an ISO 8601 duration such as P90D, P3M, P1Y or PT48H.");
        }

        int Part(string name) => match.Groups[name].Success ? int.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
        return new Iso8601Duration(Part("y"), Part("mo"), Part("w"), Part("d"), Part("h"), Part("mi"), Part("s"));
    }

    public DateTimeOffset AddTo(DateTimeOffset value) => value
        .AddYears(Years).AddMonths(Months).AddDays((Weeks * 7) + Days)
        .AddHours(Hours).AddMinutes(Minutes).AddSeconds(Seconds);

    public DateTimeOffset SubtractFrom(DateTimeOffset value) => value
        .AddYears(-Years).AddMonths(-Months).AddDays(-((Weeks * 7) + Days))
        .AddHours(-Hours).AddMinutes(-Minutes).AddSeconds(-Seconds);

    /// <summary>The length of this duration when it starts at <paramref name="from"/>.</summary>
    public TimeSpan LengthFrom(DateTimeOffset from) => AddTo(from) - from;

    [GeneratedRegex(@"^P(?=\d|T\d)(?:(?<y>\d{1,4})Y)?(?:(?<mo>\d{1,4})M)?(?:(?<w>\d{1,4})W)?(?:(?<d>\d{1,5})D)?(?:T(?=\d)(?:(?<h>\d{1,6})H)?(?:(?<mi>\d{1,7})M)?(?:(?<s>\d{1,9})S)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
