namespace KvStore.Cluster.Replication;

/// <summary>
/// A bound on bytes in flight: a caller takes its request's size before sending and gives it back
/// when the answer arrives, waiting in order while the budget is spent. A request larger than the
/// whole budget is let through alone, so it cannot wait forever.
/// </summary>
public sealed class ByteBudget(long bytes)
{
    private readonly long _capacity = bytes;
    private readonly Lock _lock = new();
    private readonly LinkedList<(long Bytes, TaskCompletionSource Ready)> _waiting = new();
    private long _available = bytes;

    public long Available
    {
        get
        {
            lock (_lock)
            {
                return _available;
            }
        }
    }

    public Task TakeAsync(long bytes, CancellationToken cancellationToken)
    {
        bytes = Math.Min(bytes, _capacity);
        LinkedListNode<(long, TaskCompletionSource)> node;
        lock (_lock)
        {
            if (_waiting.Count == 0 && _available >= bytes)
            {
                _available -= bytes;
                return Task.CompletedTask;
            }

            node = _waiting.AddLast((bytes, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)));
        }

        return WaitAsync(node, cancellationToken);
    }

    public void Give(long bytes)
    {
        bytes = Math.Min(bytes, _capacity);
        lock (_lock)
        {
            _available += bytes;
            while (_waiting.First is { } first && first.Value.Bytes <= _available)
            {
                _available -= first.Value.Bytes;
                _waiting.RemoveFirst();
                first.Value.Ready.TrySetResult();
            }
        }
    }

    private async Task WaitAsync(LinkedListNode<(long Bytes, TaskCompletionSource Ready)> node, CancellationToken cancellationToken)
    {
        try
        {
            await node.Value.Ready.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            bool granted;
            lock (_lock)
            {
                // Give removes a node when it grants it: still listed means still waiting.
                granted = node.List is null;
                if (!granted)
                {
                    _waiting.Remove(node);
                }
            }

            // Granted just as the wait was cancelled: hand the bytes back. Otherwise a waiter
            // behind this one may fit now.
            Give(granted ? node.Value.Bytes : 0);

            throw;
        }
    }
}
