using KvStore.Cluster;
using Microsoft.Extensions.Options;

namespace KvStore.Server.Grpc;

/// <summary>
/// Operations of all batches on this node running at once: half of the coordinator's
/// <c>Replication:MaxPendingRequests</c>. A batch operation waits for a slot, so many concurrent
/// batches queue (their callers see latency, not errors) and single calls keep the other half,
/// which they are refused past with RESOURCE_EXHAUSTED as before.
/// </summary>
internal sealed class BatchSlots
{
    private readonly SemaphoreSlim _slots;

    public BatchSlots(IOptions<ReplicationOptions> options)
    {
        Capacity = Math.Max(1, options.Value.MaxPendingRequests / 2);
        _slots = new SemaphoreSlim(Capacity);
    }

    /// <summary>Slots in all, which is also the most writes a batch applies together (they need as many of the coordinator's).</summary>
    public int Capacity { get; }

    public int Available => _slots.CurrentCount;

    public Task WaitAsync(CancellationToken cancellationToken) => _slots.WaitAsync(cancellationToken);

    public void Release() => _slots.Release();
}
