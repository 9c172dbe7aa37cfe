using KvStore.Core.Causality;

namespace KvStore.Core.Crdt;

/// <summary>
/// A state-based convergent replicated data type: <see cref="Merge"/> is commutative, associative
/// and idempotent, so replicas that exchange states in any order, any number of times, converge.
/// </summary>
public interface ICrdt<T> where T : ICrdt<T>
{
    /// <summary>Every event this state has seen, whether or not its effect is still visible.</summary>
    VersionVector Clock { get; }

    /// <summary>The least upper bound of this state and <paramref name="other"/>.</summary>
    T Merge(T other);
}
