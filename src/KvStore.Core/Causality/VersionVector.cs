namespace KvStore.Core.Causality;

/// <summary>
/// An immutable version vector: for each actor, the highest counter seen. Entries are kept sorted
/// by actor and never hold a zero counter, so equal histories have equal (and equally encoded)
/// vectors.
/// </summary>
/// <remarks>
/// The vector is a sorted array rather than a dictionary: its width is bounded by the number of
/// replicas that ever held the key (dots are minted only by replicas), so it is small, and a
/// linear merge of two sorted arrays is both fast and allocation-light.
/// </remarks>
public sealed class VersionVector : IEquatable<VersionVector>
{
    private readonly Entry[] _entries;

    public static VersionVector Empty { get; } = new([]);

    private VersionVector(Entry[] entries) => _entries = entries;

    /// <summary>One actor's counter.</summary>
    public readonly record struct Entry(ActorId Actor, ulong Counter);

    public int Width => _entries.Length;

    public bool IsEmpty => _entries.Length == 0;

    public ReadOnlySpan<Entry> Entries => _entries;

    /// <summary>Builds a vector from entries in any order; duplicate actors and zero counters are rejected.</summary>
    public static VersionVector From(IEnumerable<Entry> entries)
    {
        var list = entries.ToArray();
        Array.Sort(list, static (a, b) => a.Actor.CompareTo(b.Actor));
        for (var i = 0; i < list.Length; i++)
        {
            if (list[i].Counter == 0)
            {
                throw new ArgumentException($"counter of {list[i].Actor} is zero", nameof(entries));
            }

            if (i > 0 && list[i - 1].Actor == list[i].Actor)
            {
                throw new ArgumentException($"actor {list[i].Actor} appears twice", nameof(entries));
            }
        }

        return list.Length == 0 ? Empty : new VersionVector(list);
    }

    /// <summary>Wraps entries already sorted by actor, unique and non-zero (checked by the decoder).</summary>
    internal static VersionVector FromSorted(Entry[] sorted) => sorted.Length == 0 ? Empty : new VersionVector(sorted);

    public ulong this[ActorId actor]
    {
        get
        {
            var i = IndexOf(actor);
            return i >= 0 ? _entries[i].Counter : 0;
        }
    }

    /// <summary>Position of <paramref name="actor"/> in <see cref="Entries"/>, or the bitwise complement of its insertion point.</summary>
    public int IndexOf(ActorId actor)
    {
        int lo = 0, hi = _entries.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = _entries[mid].Actor.CompareTo(actor);
            if (c == 0)
            {
                return mid;
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }

    /// <summary>True when this vector has seen the event <paramref name="dot"/>.</summary>
    public bool Contains(Dot dot) => this[dot.Actor] >= dot.Counter;

    /// <summary>Mints the next dot for <paramref name="actor"/> and returns the vector that includes it.</summary>
    public (VersionVector Vector, Dot Dot) Increment(ActorId actor)
    {
        var i = IndexOf(actor);
        Entry[] next;
        ulong counter;
        if (i >= 0)
        {
            counter = checked(_entries[i].Counter + 1);
            next = (Entry[])_entries.Clone();
            next[i] = new Entry(actor, counter);
        }
        else
        {
            counter = 1;
            var at = ~i;
            next = new Entry[_entries.Length + 1];
            Array.Copy(_entries, 0, next, 0, at);
            next[at] = new Entry(actor, counter);
            Array.Copy(_entries, at, next, at + 1, _entries.Length - at);
        }

        return (new VersionVector(next), new Dot(actor, counter));
    }

    /// <summary>The least upper bound: the pointwise maximum.</summary>
    public VersionVector Merge(VersionVector other)
    {
        if (other._entries.Length == 0 || ReferenceEquals(this, other))
        {
            return this;
        }

        if (_entries.Length == 0)
        {
            return other;
        }

        var result = new List<Entry>(Math.Max(_entries.Length, other._entries.Length));
        int i = 0, j = 0;
        while (i < _entries.Length || j < other._entries.Length)
        {
            if (j == other._entries.Length || (i < _entries.Length && _entries[i].Actor < other._entries[j].Actor))
            {
                result.Add(_entries[i++]);
            }
            else if (i == _entries.Length || other._entries[j].Actor < _entries[i].Actor)
            {
                result.Add(other._entries[j++]);
            }
            else
            {
                result.Add(new Entry(_entries[i].Actor, Math.Max(_entries[i].Counter, other._entries[j].Counter)));
                i++;
                j++;
            }
        }

        return new VersionVector([.. result]);
    }

    /// <summary>True when this vector has seen everything <paramref name="other"/> has (this ≥ other).</summary>
    public bool Descends(VersionVector other)
    {
        foreach (var e in other._entries)
        {
            if (this[e.Actor] < e.Counter)
            {
                return false;
            }
        }

        return true;
    }

    public Ordering Compare(VersionVector other)
    {
        var ge = Descends(other);
        var le = other.Descends(this);
        return (ge, le) switch
        {
            (true, true) => Ordering.Equal,
            (true, false) => Ordering.After,
            (false, true) => Ordering.Before,
            _ => Ordering.Concurrent,
        };
    }

    public bool Equals(VersionVector? other) =>
        other is not null && _entries.AsSpan().SequenceEqual(other._entries);

    public override bool Equals(object? obj) => Equals(obj as VersionVector);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var e in _entries)
        {
            h.Add(e);
        }

        return h.ToHashCode();
    }

    public override string ToString() => "{" + string.Join(", ", _entries.Select(e => $"{e.Actor}: {e.Counter}")) + "}";
}
