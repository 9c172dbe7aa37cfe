namespace KvStore.Kvctl.Cluster;

/// <summary>
/// Orders node ids the way people count: node2 before node10. Ids are compared by the text before
/// a trailing number, then by that number, then ordinally, so the order is total and stable.
/// </summary>
internal sealed class NodeIdComparer : IComparer<string>
{
    public static readonly NodeIdComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null)
        {
            return x is null ? (y is null ? 0 : -1) : 1;
        }

        var (xStem, xNumber) = Split(x);
        var (yStem, yNumber) = Split(y);
        var byStem = string.CompareOrdinal(xStem, yStem);
        if (byStem != 0)
        {
            return byStem;
        }

        var byNumber = xNumber.Length != yNumber.Length
            ? xNumber.Length.CompareTo(yNumber.Length)
            : string.CompareOrdinal(xNumber, yNumber);
        return byNumber != 0 ? byNumber : string.CompareOrdinal(x, y);
    }

    /// <summary>The id without its trailing digits, and those digits without leading zeros.</summary>
    private static (string Stem, string Number) Split(string id)
    {
        var end = id.Length;
        while (end > 0 && char.IsAsciiDigit(id[end - 1]))
        {
            end--;
        }

        return (id[..end], id[end..].TrimStart('0'));
    }
}
