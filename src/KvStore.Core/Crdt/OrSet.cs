using KvStore.Core.Causality;

namespace KvStore.Core.Crdt;

/// <summary>
/// An add-wins observed-remove set without tombstones (Bieniusa et al., "An optimized
/// conflict-free replicated set", 2012; Riak's ORSWOT).
/// </summary>
/// <remarks>
/// Each member carries the dots of the additions that put it there. A remove deletes only the dots
/// its causal context saw, so an addition concurrent with the remove survives (add wins), and a
/// removed member leaves nothing behind but the clock: the clock is how a replica knows an
/// addition it no longer holds was removed rather than not yet received.
/// </remarks>
public sealed class OrSet : ICrdt<OrSet>, IEquatable<OrSet>
{
    private readonly Member[] _members;

    public static OrSet Empty { get; } = new(VersionVector.Empty, []);

    internal OrSet(VersionVector clock, Member[] members)
    {
        Clock = clock;
        _members = members;
    }

    /// <summary>A member and the dots of the additions that are still in effect for it.</summary>
    public readonly record struct Member(byte[] Element, Dot[] Dots)
    {
        public bool Equals(Member other) =>
            Element.AsSpan().SequenceEqual(other.Element) && Dots.AsSpan().SequenceEqual(other.Dots);

        public override int GetHashCode() => HashCode.Combine(Element.Length, Dots.Length);
    }

    public VersionVector Clock { get; }

    /// <summary>Members sorted by element bytes.</summary>
    public ReadOnlySpan<Member> Members => _members;

    public int Count => _members.Length;

    public bool Contains(byte[] element) => IndexOf(element) >= 0;

    /// <summary>
    /// Adds <paramref name="elements"/> as one new event of <paramref name="actor"/>. The new dot
    /// replaces each element's earlier dots: this replica has seen them, so they are superseded.
    /// </summary>
    public OrSet Add(ActorId actor, IEnumerable<byte[]> elements)
    {
        var (clock, dot) = Clock.Increment(actor);
        var added = new SortedSet<byte[]>(elements, ByteOrder.Instance);
        var result = new List<Member>(_members.Length + added.Count);
        foreach (var m in _members)
        {
            if (!added.Contains(m.Element))
            {
                result.Add(m);
            }
        }

        foreach (var e in added)
        {
            result.Add(new Member(e, [dot]));
        }

        result.Sort(static (a, b) => ByteOrder.Instance.Compare(a.Element, b.Element));
        return new OrSet(clock, [.. result]);
    }

    /// <summary>
    /// Removes the additions of <paramref name="elements"/> that <paramref name="context"/> saw (all
    /// additions held here when it is null).
    /// </summary>
    public OrSet Remove(IEnumerable<byte[]> elements, VersionVector? context)
    {
        var removed = new HashSet<byte[]>(elements, ByteOrder.Instance);
        return RemoveWhere(m => removed.Contains(m.Element), context ?? Clock);
    }

    /// <summary>Removes every addition <paramref name="context"/> saw (everything held here when it is null).</summary>
    public OrSet Clear(VersionVector? context) => RemoveWhere(static _ => true, context ?? Clock);

    private OrSet RemoveWhere(Func<Member, bool> selected, VersionVector seen)
    {
        var result = new List<Member>(_members.Length);
        var changed = false;
        foreach (var m in _members)
        {
            if (!selected(m))
            {
                result.Add(m);
                continue;
            }

            var left = m.Dots.Where(d => !seen.Contains(d)).ToArray();
            changed |= left.Length != m.Dots.Length;
            if (left.Length > 0)
            {
                result.Add(m with { Dots = left });
            }
        }

        return changed ? new OrSet(Clock, [.. result]) : this;
    }

    public OrSet Merge(OrSet other)
    {
        if (ReferenceEquals(this, other))
        {
            return this;
        }

        var result = new List<Member>(Math.Max(_members.Length, other._members.Length));
        int i = 0, j = 0;
        while (i < _members.Length || j < other._members.Length)
        {
            var c = i == _members.Length ? 1
                : j == other._members.Length ? -1
                : ByteOrder.Instance.Compare(_members[i].Element, other._members[j].Element);
            var element = c <= 0 ? _members[i].Element : other._members[j].Element;
            var mine = c <= 0 ? _members[i].Dots : [];
            var theirs = c >= 0 ? other._members[j].Dots : [];
            var dots = DotKernel.Join(mine, Clock, theirs, other.Clock);
            if (dots.Length > 0)
            {
                result.Add(new Member(element, dots));
            }

            if (c <= 0)
            {
                i++;
            }

            if (c >= 0)
            {
                j++;
            }
        }

        return new OrSet(Clock.Merge(other.Clock), [.. result]);
    }

    private int IndexOf(byte[] element)
    {
        int lo = 0, hi = _members.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = ByteOrder.Instance.Compare(_members[mid].Element, element);
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

        return -1;
    }

    public bool Equals(OrSet? other) =>
        other is not null && Clock.Equals(other.Clock) && _members.AsSpan().SequenceEqual(other._members);

    public override bool Equals(object? obj) => Equals(obj as OrSet);

    public override int GetHashCode() => HashCode.Combine(Clock, _members.Length);
}
