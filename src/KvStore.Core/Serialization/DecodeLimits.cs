namespace KvStore.Core.Serialization;

/// <summary>Upper bounds a decoder enforces, so that a hostile or corrupt input cannot make it allocate without limit.</summary>
/// <param name="MaxWidth">Actors in a version vector.</param>
/// <param name="MaxItems">Siblings of a register, members of a set, dots of a member.</param>
/// <param name="MaxBytes">Length of one value or element.</param>
public sealed record DecodeLimits(int MaxWidth, int MaxItems, int MaxBytes)
{
    /// <summary>Bounds for bytes this node wrote itself: only the format's own limits apply.</summary>
    public static DecodeLimits Trusted { get; } = new(1 << 16, 1 << 24, int.MaxValue);
}
