namespace KeyVault.Embedded.Records;

/// <summary>
/// Where the store keeps each record (<see cref="Storage.StoredRecord.Id"/>), in ranges that never overlap:
/// <list type="bullet">
/// <item><description><c>1</c>: the header.</description></item>
/// <item><description><c>0x100 + v</c>: key-encryption key version <c>v</c>.</description></item>
/// <item><description><c>2^32 + b</c>: manifest bucket <c>b</c>.</description></item>
/// <item><description><c>2^40 + generation × 2^20 + n</c>: the <c>n</c>-th record the commit of that generation
/// created (objects, versions, settings). A record keeps its id when rewritten.</description></item>
/// </list>
/// Ids only locate records; what a record is comes from its key and the manifest, which lists both.
/// </summary>
internal static class RecordIds
{
    public const long Header = 1;
    public const long FirstKek = KekBase + 1;
    public const long LastKek = KekBase + MaxKekVersion;
    public const long FirstBucket = BucketBase;
    public const long LastBucket = BucketBase + int.MaxValue;

    /// <summary>How many records one commit can create.</summary>
    public const int PerCommit = 1 << 20;

    private const long KekBase = 0x100;
    private const int MaxKekVersion = 0xFF_FFFF;
    private const long BucketBase = 1L << 32;
    private const long RecordBase = 1L << 40;

    public static long Kek(int version) =>
        version is > 0 and <= MaxKekVersion ? KekBase + version : throw new ArgumentOutOfRangeException(nameof(version), version, "Key-encryption key versions run from 1 to 16,777,215.");

    public static long Bucket(int index) => index >= 0 ? BucketBase + index : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The bucket an id in the bucket range names.</summary>
    public static int BucketIndex(long id) => checked((int)(id - BucketBase));

    /// <summary>The id of the <paramref name="ordinal"/>-th record created by the commit of <paramref name="generation"/>.</summary>
    /// <exception cref="InvalidOperationException">More records than one commit can create.</exception>
    public static long Record(long generation, int ordinal) =>
        ordinal is >= 0 and < PerCommit && generation is > 0 and < (long.MaxValue - RecordBase) / PerCommit
            ? RecordBase + (generation * PerCommit) + ordinal
            : throw new InvalidOperationException($"One commit creates at most {PerCommit} records.");

    /// <summary>The fixed id of a record that has one (the header, a key-encryption key), else null.</summary>
    public static long? Fixed(string key) =>
        string.Equals(key, RecordKeys.Header, StringComparison.Ordinal) ? Header
        : RecordKeys.ParseKek(key) is { } version and > 0 and <= MaxKekVersion ? Kek(version)
        : null;
}
