using System.Collections.Immutable;
using KvStore.Core.Membership;

namespace KvStore.Cluster.Membership;

/// <summary>
/// An immutable snapshot of the member table. A change builds a new view and swaps it in, so a
/// reader (the coordinator, the admin endpoint) always sees one consistent table.
/// </summary>
public sealed class MembershipView
{
    public MembershipView(string selfId, ImmutableArray<Member> members, long version)
    {
        SelfId = selfId;
        Members = members.Sort(static (a, b) => string.CompareOrdinal(a.Id, b.Id));
        Version = version;
    }

    /// <summary>This node's id.</summary>
    public string SelfId { get; }

    /// <summary>Every known member, this node included, sorted by id.</summary>
    public ImmutableArray<Member> Members { get; }

    /// <summary>Grows with every change; a reader can tell whether a view is newer than one it holds.</summary>
    public long Version { get; }

    public Member? Find(string id)
    {
        foreach (var m in Members)
        {
            if (m.Id == id)
            {
                return m;
            }
        }

        return null;
    }

    public bool IsAlive(string id) => Find(id)?.State == MemberState.Alive;
}
