using KvStore.Core.Causality;
using KvStore.Core.Crdt;

namespace KvStore.Core.Tests.Laws;

/// <summary>
/// One CRDT type under test plus a simple model of what its replicas must converge to. A fresh
/// instance serves one random history: it applies local operations and records them, so that after
/// every replica has merged every other the model can say what the observable state must be.
/// </summary>
public interface IReplicaModel<T> where T : ICrdt<T>
{
    T Empty { get; }

    /// <summary>
    /// Applies the local operation chosen by <paramref name="choice"/> at a replica whose actor is
    /// <paramref name="actor"/>. <paramref name="earlierRead"/> is the clock the replica had before its
    /// previous operation: a stale context a client may send back.
    /// </summary>
    T ApplyLocal(T state, ActorId actor, VersionVector earlierRead, uint choice);

    /// <summary>The observable state the model expects once all operations reached every replica.</summary>
    string Expected();

    /// <summary>The observable state of <paramref name="state"/>, in the same form as <see cref="Expected"/>.</summary>
    string Observe(T state);

    /// <summary>The canonical bytes of a state: equal states, equal bytes.</summary>
    byte[] Canonical(T state);
}
