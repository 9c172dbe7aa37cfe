using KvStore.Core.Causality;
using KvStore.Core.Clock;

namespace KvStore.Core.Crdt;

/// <summary>
/// A last-writer-wins register with causal overwrites and deletes.
/// </summary>
/// <remarks>
/// <para>
/// The state is a clock plus the writes not yet superseded, each with its dot and hybrid logical
/// clock timestamp. A write or delete supersedes exactly the writes its causal context saw; writes
/// it did not see stay as concurrent siblings. The visible value is the sibling with the greatest
/// (timestamp, actor, counter), so every replica shows the same value, and more than one sibling
/// tells that writes were concurrent. Because a delete removes only what it saw, a write concurrent
/// with a delete survives it.
/// </para>
/// <para>
/// Siblings are bounded by the number of actors: a replica's new write also supersedes that
/// replica's own earlier writes (it has seen them, and its timestamp is later than theirs anyway).
/// </para>
/// </remarks>
public sealed class LwwRegister : ICrdt<LwwRegister>, IEquatable<LwwRegister>
{
    private readonly RegisterEntry[] _entries;

    public static LwwRegister Empty { get; } = new(VersionVector.Empty, []);

    internal LwwRegister(VersionVector clock, RegisterEntry[] entries)
    {
        Clock = clock;
        _entries = entries;
    }

    public VersionVector Clock { get; }

    /// <summary>The writes not yet superseded, sorted by dot.</summary>
    public ReadOnlySpan<RegisterEntry> Entries => _entries;

    /// <summary>The visible write, or null when the register is empty or deleted.</summary>
    public RegisterEntry? Winner
    {
        get
        {
            if (_entries.Length == 0)
            {
                return null;
            }

            var best = _entries[0];
            for (var i = 1; i < _entries.Length; i++)
            {
                if (_entries[i].CompareRank(best) > 0)
                {
                    best = _entries[i];
                }
            }

            return best;
        }
    }

    /// <summary>True when writes that did not see each other are both still held.</summary>
    public bool HasConcurrentWrites => _entries.Length > 1;

    /// <summary>The latest timestamp of any held write (zero when none).</summary>
    public HlcTimestamp MaxTimestamp
    {
        get
        {
            var max = HlcTimestamp.Zero;
            foreach (var e in _entries)
            {
                max = HlcTimestamp.Max(max, e.Timestamp);
            }

            return max;
        }
    }

    /// <summary>
    /// Writes <paramref name="value"/> as a new event of <paramref name="actor"/>, superseding the
    /// writes <paramref name="context"/> saw (all held writes when it is null) and the actor's own.
    /// </summary>
    public LwwRegister Assign(ActorId actor, HlcTimestamp timestamp, byte[] value, VersionVector? context)
    {
        var seen = context ?? Clock;

        // The new clock includes the context: the write supersedes every write its client saw,
        // also one this replica does not hold yet, which a later merge then drops instead of
        // keeping it as a sibling that a later delete could uncover (as Riak's put with a context).
        var (clock, dot) = Clock.Merge(seen).Increment(actor);
        var kept = new List<RegisterEntry>(_entries.Length + 1);
        foreach (var e in _entries)
        {
            if (!seen.Contains(e.Dot) && e.Dot.Actor != actor)
            {
                kept.Add(e);
            }
        }

        kept.Add(new RegisterEntry(dot, timestamp, value));
        kept.Sort(static (a, b) => a.Dot.CompareTo(b.Dot));
        return new LwwRegister(clock, [.. kept]);
    }

    /// <summary>Deletes the writes <paramref name="context"/> saw (all held writes when it is null).</summary>
    public LwwRegister Clear(VersionVector? context)
    {
        var seen = context ?? Clock;
        var kept = _entries.Where(e => !seen.Contains(e.Dot)).ToArray();
        var clock = Clock.Merge(seen);
        return kept.Length == _entries.Length && clock.Equals(Clock) ? this : new LwwRegister(clock, kept);
    }

    public LwwRegister Merge(LwwRegister other)
    {
        if (ReferenceEquals(this, other))
        {
            return this;
        }

        var mine = _entries.Select(e => e.Dot).ToArray();
        var theirs = other._entries.Select(e => e.Dot).ToArray();
        var dots = DotKernel.Join(mine, Clock, theirs, other.Clock);
        var entries = new RegisterEntry[dots.Length];
        for (var k = 0; k < dots.Length; k++)
        {
            var i = Array.BinarySearch(mine, dots[k]);
            entries[k] = i >= 0 ? _entries[i] : other._entries[Array.BinarySearch(theirs, dots[k])];
        }

        return new LwwRegister(Clock.Merge(other.Clock), entries);
    }

    public bool Equals(LwwRegister? other) =>
        other is not null && Clock.Equals(other.Clock) && _entries.AsSpan().SequenceEqual(other._entries);

    public override bool Equals(object? obj) => Equals(obj as LwwRegister);

    public override int GetHashCode() => HashCode.Combine(Clock, _entries.Length);
}
