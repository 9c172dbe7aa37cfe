using KvStore.Core.Causality;
using KvStore.Core.Clock;

namespace KvStore.Core.Crdt;

/// <summary>How a replica applies a client's mutation to the object it holds.</summary>
public static class MutationRules
{
    /// <summary>
    /// Applies <paramref name="mutation"/> to <paramref name="current"/> as an event of
    /// <paramref name="actor"/> at <paramref name="timestamp"/>.
    /// </summary>
    /// <param name="counterFloor">
    /// For a key that is absent, the counter <paramref name="actor"/> starts above: the highest it
    /// held in an object of this replica that was collected, so a key created again never reuses a
    /// dot that a surviving copy of the old tombstone would take for one it has seen.
    /// </param>
    /// <returns>The new object, or null when nothing changes (a delete or remove of a missing key).</returns>
    /// <exception cref="MutationRejectedException">Wrong type, or a bound would be broken; nothing changes.</exception>
    public static KvObject? Apply(KvObject? current, Mutation mutation, ActorId actor, HlcTimestamp timestamp, ObjectLimits limits, ulong counterFloor = 0)
    {
        var fresh = counterFloor == 0 ? VersionVector.Empty : VersionVector.From([new VersionVector.Entry(actor, counterFloor)]);
        if (mutation.TargetType is { } wanted && current is not null && current.Type != wanted)
        {
            throw MutationRejectedException.WrongType(current.Type, wanted);
        }

        var seen = mutation.SeenContext?.Clock;
        var result = mutation switch
        {
            Mutation.Put put => KvObject.Of((current?.Register ?? new LwwRegister(fresh, [])).Assign(actor, timestamp, put.Value, seen)),
            Mutation.Delete => current switch
            {
                null => null,
                { Register: { } r } => KvObject.Of(r.Clear(seen)),
                _ => KvObject.Of(current.Set!.Clear(seen)),
            },
            Mutation.SetAdd add => KvObject.Of((current?.Set ?? new OrSet(fresh, [])).Add(actor, add.Elements)),
            Mutation.SetRemove remove => current is null ? null : KvObject.Of(current.Set!.Remove(remove.Elements, seen)),
            _ => throw new ArgumentOutOfRangeException(nameof(mutation)),
        };

        if (result is null)
        {
            return null;
        }

        if (result.Set is { } set && set.Count > limits.MaxSetElements && set.Count > (current?.Set?.Count ?? 0))
        {
            throw new MutationRejectedException(RejectReason.LimitExceeded,
                $"the set would hold {set.Count} members; the limit is {limits.MaxSetElements}");
        }

        if (result.Clock.Width > limits.MaxVersionVectorWidth && result.Clock.Width > (current?.Clock.Width ?? 0))
        {
            throw new MutationRejectedException(RejectReason.LimitExceeded,
                $"the key's version vector would name {result.Clock.Width} actors; the limit is {limits.MaxVersionVectorWidth}");
        }

        return result;
    }
}
