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
    /// <returns>The new object, or null when nothing changes (a delete or remove of a missing key).</returns>
    /// <exception cref="MutationRejectedException">Wrong type, or a bound would be broken; nothing changes.</exception>
    public static KvObject? Apply(KvObject? current, Mutation mutation, ActorId actor, HlcTimestamp timestamp, ObjectLimits limits)
    {
        if (mutation.TargetType is { } wanted && current is not null && current.Type != wanted)
        {
            throw MutationRejectedException.WrongType(current.Type, wanted);
        }

        var seen = mutation.SeenContext?.Clock;
        var result = mutation switch
        {
            Mutation.Put put => KvObject.Of((current?.Register ?? LwwRegister.Empty).Assign(actor, timestamp, put.Value, seen)),
            Mutation.Delete => current switch
            {
                null => null,
                { Register: { } r } => KvObject.Of(r.Clear(seen)),
                _ => KvObject.Of(current.Set!.Clear(seen)),
            },
            Mutation.SetAdd add => KvObject.Of((current?.Set ?? OrSet.Empty).Add(actor, add.Elements)),
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
