using KvStore.Cluster.AntiEntropy;
using KvStore.Cluster.Replication;
using KvStore.Cluster.Routing;
using KvStore.Core.AntiEntropy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KvStore.Cluster.Handoff;

/// <summary>
/// Moves ranges to their new owners when the ring changes: on every routing change it computes
/// what this node owes (<see cref="HandoffPlan"/>) and queues one transfer per target; a worker
/// runs up to <see cref="HandoffOptions.MaxConcurrentTransfers"/> of them at once, each a one-way
/// exchange (<see cref="RangePusher"/>) under a byte rate of its own, and retries failed ones after
/// <see cref="HandoffOptions.RetryDelay"/> while the target still serves. A node leaving waits for
/// its transfers with <see cref="DrainAsync"/>.
/// </summary>
/// <remarks>
/// Driven only by routing changes and the injected clock: the worker is started by the host
/// (<see cref="Start"/>), and a simulator may instead call <see cref="RunPendingAsync"/> itself.
/// The queue holds at most two transfers per target (one running, one waiting that gathers every
/// later change), so it is bounded by the member table; finished ones are kept up to
/// <see cref="HandoffOptions.MaxFinishedShown"/>.
/// </remarks>
public sealed partial class HandoffService : IAsyncDisposable
{
    private readonly Router _router;
    private readonly RangePusher _pusher;
    private readonly HandoffOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<HandoffService> _logger;
    private readonly Lock _lock = new();
    private readonly List<HandoffTransfer> _queue = [];
    private readonly Queue<HandoffTransfer> _finished = new();
    private long _done;
    private long _abandoned;
    private long _failedAttempts;
    private long _keysSent;
    private long _bytesSent;
    private readonly BackgroundLoop _loop = new();
    private TaskCompletionSource _wake = NewSignal();
    private TaskCompletionSource _idle = NewSignal();
    private long _nextId;

    public HandoffService(
        Router router,
        LocalReplica replica,
        IMerkleSource local,
        IPeerTransport peers,
        IAntiEntropyTransport trees,
        IOptions<HandoffOptions> options,
        IOptions<ReplicationOptions> replication,
        TimeProvider time,
        ILogger<HandoffService> logger)
    {
        _router = router;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _pusher = new RangePusher(replica, local, peers, trees, new ByteRate(_options.MaxBytesPerSecond, time), replication.Value.PeerTimeout, time);
        _idle.TrySetResult();
        router.Changed += OnRoutingChanged;
    }

    public HandoffOptions Options => _options;

    /// <summary>Unfinished transfers first, by id, then the latest finished ones, newest first.</summary>
    public IReadOnlyList<TransferProgress> Transfers
    {
        get
        {
            lock (_lock)
            {
                return [.. _queue.Select(t => t.Snapshot()), .. _finished.Reverse().Select(t => t.Snapshot())];
            }
        }
    }

    /// <summary>Transfers that ended, by how, and what they moved; for the metrics endpoint.</summary>
    public HandoffTotals Totals
    {
        get
        {
            lock (_lock)
            {
                return new HandoffTotals(_done, _abandoned, _failedAttempts, _keysSent, _bytesSent, _queue.Count);
            }
        }
    }

    /// <summary>Whether no transfer is waiting, running or due for a retry.</summary>
    public bool IsIdle
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count == 0;
            }
        }
    }

    /// <summary>Starts the worker that runs transfers as they are queued; a second call does nothing.</summary>
    public void Start()
    {
        if (_options.Enabled)
        {
            _loop.Start(RunAsync);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _router.Changed -= OnRoutingChanged;
        await _loop.DisposeAsync();
    }

    /// <summary>
    /// Waits until every transfer finished, or the timeout passed, or the token is cancelled;
    /// returns what is still unfinished (empty when all finished). Needs the worker or another
    /// caller of <see cref="RunPendingAsync"/> to make progress.
    /// </summary>
    public async Task<IReadOnlyList<TransferProgress>> DrainAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task idle;
        lock (_lock)
        {
            idle = _idle.Task;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await Task.WhenAny(idle, Task.Delay(timeout, _time, stop.Token)).ConfigureAwait(false);
        await stop.CancelAsync();
        lock (_lock)
        {
            return _queue.Select(t => t.Snapshot()).ToList();
        }
    }

    /// <summary>
    /// Runs, concurrently, the transfers that may run now (pending ones, and failed ones whose
    /// retry is due), up to the concurrency bound and one per target; returns how many ran.
    /// </summary>
    public async Task<int> RunPendingAsync(CancellationToken cancellationToken)
    {
        var chosen = TakeRunnable();
        await Task.WhenAll(chosen.Select(t => RunOneAsync(t, cancellationToken)));
        return chosen.Count;
    }

    /// <summary>Marks as running, and returns, the transfers that may start now within the concurrency bound, one per target.</summary>
    private List<HandoffTransfer> TakeRunnable()
    {
        var now = _time.GetTimestamp();
        List<HandoffTransfer> chosen;
        lock (_lock)
        {
            var busy = _queue.Where(t => t.State == TransferState.Running).Select(t => t.Target).ToHashSet(StringComparer.Ordinal);
            var room = _options.MaxConcurrentTransfers - busy.Count;
            chosen = [];
            foreach (var t in _queue)
            {
                if (chosen.Count >= room)
                {
                    break;
                }

                if ((t.State == TransferState.Pending || (t.State == TransferState.Failed && t.RetryAt <= now)) && busy.Add(t.Target))
                {
                    t.State = TransferState.Running;
                    t.Attempts++;
                    chosen.Add(t);
                }
            }
        }

        return chosen;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void OnRoutingChanged(RoutingTable before, RoutingTable after)
    {
        if (!_options.Enabled || ReferenceEquals(before, after))
        {
            return;
        }

        var owed = HandoffPlan.Compute(before, after);
        if (owed.Count == 0)
        {
            return;
        }

        lock (_lock)
        {
            foreach (var (target, ranges) in owed)
            {
                Enqueue(target, ranges);
                LogQueued(_logger, target, ranges.Fraction * 100, after.View.Version);
            }

            if (_idle.Task.IsCompleted)
            {
                _idle = NewSignal();
            }

            _wake.TrySetResult();
        }
    }

    /// <summary>Adds ranges owed to a target: into its waiting transfer if it has one, else as a new one.</summary>
    private void Enqueue(string target, HashRanges ranges)
    {
        var waiting = _queue.FindIndex(t => t.Target == target && t.State != TransferState.Running);
        var created = _time.GetUtcNow();
        if (waiting < 0)
        {
            _queue.Add(new HandoffTransfer(++_nextId, target, ranges, created));
            return;
        }

        var old = _queue[waiting];
        var merged = HashRanges.Of(old.Ranges.Intervals.Concat(ranges.Intervals));
        if (!merged.Equals(old.Ranges))
        {
            // Other ranges: the cursor of the old ones means nothing for them, so start over (the
            // descent still skips whatever already arrived).
            _queue[waiting] = new HandoffTransfer(old.Id, target, merged, old.Created) { Attempts = old.Attempts };
        }
        else if (old.State == TransferState.Failed)
        {
            old.RetryAt = 0;
        }
    }

    private async Task RunOneAsync(HandoffTransfer transfer, CancellationToken cancellationToken)
    {
        var target = _router.Current.Find(transfer.Target);
        string? error = null;
        var state = TransferState.Done;
        if (!HandoffPlan.Serves(target))
        {
            state = TransferState.Abandoned;
            error = "the target no longer serves";
        }
        else
        {
            try
            {
                await _pusher.PushAsync(transfer, target!, cancellationToken);
            }
            catch (Exception e)
            {
                // Whatever went wrong (the target, a timeout, this node stopping, a store closing),
                // the transfer is retried later and resumes; a worker that died here would leave it
                // shown as running forever.
                state = TransferState.Failed;
                error = e switch
                {
                    OperationCanceledException when cancellationToken.IsCancellationRequested => "stopped",
                    OperationCanceledException => "the target did not answer in time",
                    PeerUnreachableException or RequestRejectedException => e.Message,
                    _ => $"{e.GetType().Name}: {e.Message}",
                };
            }
        }

        Finish(transfer, state, error);
    }

    private void Finish(HandoffTransfer transfer, TransferState state, string? error)
    {
        lock (_lock)
        {
            transfer.State = state;
            transfer.Error = error;
            if (state == TransferState.Failed)
            {
                _failedAttempts++;
                transfer.RetryAt = _time.GetTimestamp() + (long)(_options.RetryDelay.TotalSeconds * _time.TimestampFrequency);
                LogFailed(_logger, transfer.Target, transfer.Attempts, error!, transfer.KeysSent);
                return;
            }

            transfer.Finished = _time.GetUtcNow();
            _queue.Remove(transfer);
            if (state == TransferState.Done)
            {
                _done++;
            }
            else
            {
                _abandoned++;
            }

            _keysSent += transfer.KeysSent;
            _bytesSent += transfer.Snapshot().Bytes;
            _finished.Enqueue(transfer);
            while (_finished.Count > _options.MaxFinishedShown)
            {
                _finished.Dequeue();
            }

            if (transfer.KeysSent > 0 || state != TransferState.Done)
            {
                LogFinished(_logger, transfer.Target, state, transfer.KeysSent, transfer.Attempts);
            }
            else
            {
                // The common case of a node that restarts or learns a peer: the trees agreed.
                LogNothingToMove(_logger, transfer.Target);
            }
            if (_queue.Count == 0)
            {
                _idle.TrySetResult();
            }
        }
    }

    /// <summary>
    /// The worker: starts what may run, then sleeps until a change queues work, a transfer ends
    /// (freeing a slot) or the earliest retry is due. A slow target holds one slot, not the others.
    /// </summary>
    private async Task RunAsync(CancellationToken stop)
    {
        var running = new List<Task>();
        try
        {
            while (true)
            {
                Task wake;
                lock (_lock)
                {
                    if (_wake.Task.IsCompleted)
                    {
                        _wake = NewSignal();
                    }

                    wake = _wake.Task;
                }

                running.AddRange(TakeRunnable().Select(t => RunOneAsync(t, stop)));
                long? due;
                lock (_lock)
                {
                    // Only retries that could start: one whose target is busy, or any while every
                    // slot is taken, waits for a running transfer to end, which wakes this loop too.
                    var busy = _queue.Where(t => t.State == TransferState.Running).Select(t => t.Target).ToHashSet(StringComparer.Ordinal);
                    due = busy.Count >= _options.MaxConcurrentTransfers
                        ? null
                        : _queue.Where(t => t.State == TransferState.Failed && !busy.Contains(t.Target)).Select(t => (long?)t.RetryAt).Min();
                }

                using var sleep = CancellationTokenSource.CreateLinkedTokenSource(stop);
                var delay = due is { } at
                    ? Task.Delay(TimeSpan.FromSeconds(Math.Max(0, at - _time.GetTimestamp()) / (double)_time.TimestampFrequency), _time, sleep.Token)
                    : Task.Delay(Timeout.InfiniteTimeSpan, _time, sleep.Token);
                await Task.WhenAny([wake, delay, .. running]).WaitAsync(stop);
                await sleep.CancelAsync();
                running.RemoveAll(t => t.IsCompleted);
            }
        }
        finally
        {
            // The transfers see the same token and end as failed ("stopped"); never leave one writing.
            await Task.WhenAll(running);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Handoff to {Target}: it already held everything")]
    private static partial void LogNothingToMove(ILogger logger, string target);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Handoff to {Target} queued: {Percent:F1}% of the ring (membership version {Version})")]
    private static partial void LogQueued(ILogger logger, string target, double percent, long version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Handoff to {Target} {State}: {Keys} keys sent in {Attempts} attempts")]
    private static partial void LogFinished(ILogger logger, string target, TransferState state, long keys, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handoff to {Target} failed (attempt {Attempt}): {Reason}; {Keys} keys sent so far, retrying later")]
    private static partial void LogFailed(ILogger logger, string target, int attempt, string reason, long keys);
}
