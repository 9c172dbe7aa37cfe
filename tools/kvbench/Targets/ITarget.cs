namespace KvStore.Kvbench.Targets;

/// <summary>
/// A store under test: its connections, shared by all callers, and a session per caller. Sessions
/// keep their request objects and buffers between operations, which is safe because each caller
/// has one operation in flight at a time.
/// </summary>
internal interface ITarget : IAsyncDisposable
{
    /// <summary>Checks that every endpoint answers; throws <see cref="UnreachableException"/> if one does not.</summary>
    Task ProbeAsync(CancellationToken cancellationToken);

    ITargetSession CreateSession(int caller);
}

/// <summary>One caller's view of a store. Failures are exceptions; <see cref="ErrorNames"/> names them.</summary>
internal interface ITargetSession : IAsyncDisposable
{
    Task ReadAsync(long record, CancellationToken cancellationToken);

    Task WriteAsync(long record, int value, CancellationToken cancellationToken);

    /// <summary>Reads the record, then writes it with what the read returned (KvStore's causal context).</summary>
    Task ReadModifyWriteAsync(long record, int value, CancellationToken cancellationToken);

    /// <summary>A call that does no work in the store: the cost of the protocol alone.</summary>
    Task EmptyAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Writes <c>values[i]</c> to <c>records[i]</c> for every i in one call, and sets <c>codes[i]</c>
    /// to that operation's own status (a gRPC status code, 0 when it succeeded). Throws only when
    /// the call as a whole failed.
    /// </summary>
    Task WriteBatchAsync(long[] records, int[] values, int[] codes, CancellationToken cancellationToken);
}

/// <summary>An endpoint did not answer the probe before the run.</summary>
internal sealed class UnreachableException(string message, Exception? innerException = null) : Exception(message, innerException);
