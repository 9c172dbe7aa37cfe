namespace KvStore.Cluster.Membership;

/// <summary>The member table as the rest of the node reads it.</summary>
public interface IMembership
{
    /// <summary>The latest view; never null.</summary>
    MembershipView Current { get; }

    /// <summary>Raised after <see cref="Current"/> changed, with the new view. Handlers must be quick and must not throw.</summary>
    event Action<MembershipView>? Changed;
}
