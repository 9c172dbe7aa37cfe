using System.Collections.Immutable;
using KvStore.Cluster.Membership.Messages;
using KvStore.Cluster.Security;
using KvStore.Core.Membership;
using Microsoft.Extensions.Logging;

namespace KvStore.Cluster.Membership;

/// <summary>
/// Membership and failure detection by SWIM (Das et al. 2002) with Lifeguard's refinements
/// (Dadgar et al. 2018), in the shape of hashicorp/memberlist: randomized round-robin probing with
/// indirect probes and nacks, suspicion that shrinks with independent confirmations, refutation by
/// incarnation, gossip piggybacked on probes with a bounded retransmit count, and periodic
/// push-pull of the whole table. Every datagram is sealed under the cluster key ring, and alive and
/// left records are signed by the member they describe.
/// </summary>
/// <remarks>
/// All state changes happen under one lock, driven by timers from the injected
/// <see cref="TimeProvider"/> and by arriving messages; randomness comes from the injected
/// <see cref="Random"/>. With a fake clock and the in-memory network the whole engine is therefore
/// deterministic: advancing the clock runs every due timer and delivery in a fixed order. Datagrams
/// are sent after the lock is released.
/// </remarks>
public sealed partial class SwimMembership : IMembership, IAsyncDisposable
{
    private readonly MembershipOptions _options;
    private readonly NodeIdentity _identity;
    private readonly LocalMember _local;
    private readonly IDatagramTransport _transport;
    private readonly IPushPullChannel _channel;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _random;
    private readonly MessageAuthenticator _auth;
    private readonly TimerSet _timers;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, MemberEntry> _members = new(StringComparer.Ordinal);
    private readonly BroadcastQueue _broadcasts;
    private readonly Awareness _awareness;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<(string Address, byte[] Datagram)> _outbox = [];
    private readonly int _packetBudget;
    private volatile MembershipView _view;
    private long _viewVersion;
    private bool _started;
    private bool _disposed;

    /// <param name="random">The source of every random choice (probe order, indirect relays, gossip targets); seed it for a reproducible run.</param>
    /// <exception cref="ArgumentException">The options do not validate.</exception>
    public SwimMembership(
        MembershipOptions options,
        NodeIdentity identity,
        LocalMember local,
        IDatagramTransport transport,
        IPushPullChannel channel,
        TimeProvider time,
        ILogger logger,
        Random random)
    {
        var errors = options.Validate().ToList();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors), nameof(options));
        }

        _options = options;
        _identity = identity;
        _local = local;
        _transport = transport;
        _channel = channel;
        _time = time;
        _logger = logger;
        _random = random;
        _auth = new MessageAuthenticator(options.KeyRing(), time, options.ReplayWindow, options.ReplayCacheCapacity);
        Counters = new DropCounters(() => _auth.ReplayCacheOverflows);
        _timers = new TimerSet(time);
        _broadcasts = new BroadcastQueue(options.BroadcastQueueCapacity);
        _awareness = new Awareness(options.AwarenessMaxMultiplier);
        _packetBudget = options.MaxPacketBytes - MessageAuthenticator.Overhead(local.Id);

        var record = AliveRecord.Create(identity, local.Id, local.Address, local.AdminAddress, 0);
        var self = new MemberEntry(new Member(local.Id, local.Address, local.AdminAddress, MemberState.Alive, 0), record, time.GetUtcNow());
        _members.Add(local.Id, self);
        _view = new MembershipView(local.Id, [self.Member], 0);
    }

    public MembershipView Current => _view;

    public event Action<MembershipView>? Changed;

    /// <summary>Refusals and packet totals, by reason.</summary>
    public DropCounters Counters { get; }

    /// <summary>This node's id.</summary>
    public string SelfId => _local.Id;

    /// <summary>Lifeguard's local health score: 0 when healthy, up to AwarenessMaxMultiplier - 1.</summary>
    public int Awareness
    {
        get
        {
            lock (_gate)
            {
                return _awareness.Score;
            }
        }
    }

    /// <summary>Gossip updates queued for sending.</summary>
    public int QueuedBroadcasts
    {
        get
        {
            lock (_gate)
            {
                return _broadcasts.Count;
            }
        }
    }

    /// <summary>
    /// Starts receiving, probing and gossiping, then joins through <paramref name="seedAddresses"/>:
    /// a push-pull with each in turn until one answers. If none does, the node runs alone and keeps
    /// retrying the seeds in the background with a doubling backoff until one answers or another
    /// member finds it. An empty list starts a new cluster. Takes ownership of the transport.
    /// </summary>
    /// <returns>Whether a seed answered (always true without seeds).</returns>
    public async Task<bool> StartAsync(IReadOnlyList<string> seedAddresses, CancellationToken ct)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started)
            {
                throw new InvalidOperationException("membership is already started");
            }

            _started = true;
            _transport.Start(OnDatagram);
            _timers.Every(_options.ProbeInterval, () => Locked(ProbeTick));
            _timers.Every(_options.GossipInterval, () => Locked(GossipTick));
            _timers.Every(_options.PushPullInterval, PeriodicPushPull);
            LogStarted(_logger, _local.Id, _local.Address, _options.UsesDevelopmentKey);
        }

        var seeds = seedAddresses.Where(s => s != _local.Address).ToList();
        if (seeds.Count == 0)
        {
            return true;
        }

        if (await JoinAsync(seeds, ct).ConfigureAwait(false))
        {
            return true;
        }

        LogJoinFailed(_logger, string.Join(",", seeds));
        ScheduleJoinRetry(seeds, attempt: 1);
        return false;
    }

    /// <summary>
    /// Leaves gracefully: announces a signed "left" at a raised incarnation and waits until that
    /// announcement was sent its full number of times, or <paramref name="timeout"/> passed. The
    /// node stops probing but keeps answering until disposed.
    /// </summary>
    /// <returns>Whether the announcement was fully sent in time.</returns>
    public async Task<bool> LeaveAsync(TimeSpan timeout)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Locked(() =>
        {
            var self = _members[_local.Id];
            if (self.State == MemberState.Left)
            {
                done.TrySetResult();
                return;
            }

            var left = LeftRecord.Create(_identity, _local.Id, self.Incarnation + 1);
            self.Member = self.Member with { State = MemberState.Left, Incarnation = left.Incarnation };
            self.Left = left;
            self.Since = _time.GetUtcNow();
            LogLeaving(_logger, left.Incarnation);
            if (!_members.Values.Any(m => m.Id != _local.Id && m.IsAliveOrSuspect))
            {
                done.TrySetResult();
            }

            Broadcast(new MemberUpdate.Left(left), () => done.TrySetResult());
            PublishView();
        });

        using var cts = new CancellationTokenSource();
        var delay = Task.Delay(timeout, _time, cts.Token);
        await Task.WhenAny(done.Task, delay).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false);

        // Not "which finished first": the continuation runs on the thread pool, and by then both may have.
        return done.Task.IsCompleted;
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var m in _members.Values)
            {
                m.EndSuspicion();
            }

            _broadcasts.Clear();
        }

        _timers.Dispose();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <summary>Runs <paramref name="action"/> under the lock, then sends what it queued.</summary>
    private void Locked(Action action)
    {
        List<(string, byte[])> outbox;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            action();
            if (_outbox.Count == 0)
            {
                return;
            }

            outbox = [.. _outbox];
            _outbox.Clear();
        }

        Flush(outbox);
    }

    private void Flush(List<(string Address, byte[] Datagram)> outbox)
    {
        foreach (var (address, datagram) in outbox)
        {
            Counters.Add(DropCounters.Reason.PacketsSent);
            try
            {
                var sending = _transport.SendAsync(address, datagram, _stopping.Token);
                if (!sending.IsCompletedSuccessfully)
                {
                    _ = ObserveAsync(sending, address);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogSendFailed(_logger, address, e.Message);
            }
        }
    }

    private async Task ObserveAsync(ValueTask sending, string address)
    {
        try
        {
            await sending.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogSendFailed(_logger, address, e.Message);
        }
    }

    /// <summary>Swaps in a new view of the table and tells subscribers; called under the lock so views are published in order.</summary>
    private void PublishView()
    {
        var view = new MembershipView(_local.Id, [.. _members.Values.Select(m => m.Member)], ++_viewVersion);
        _view = view;
        Changed?.Invoke(view);
    }

    private ImmutableArray<MemberEntry> Others(Func<MemberEntry, bool> where) =>
        [.. _members.Values.Where(m => m.Id != _local.Id && where(m)).OrderBy(m => m.Id, StringComparer.Ordinal)];

    /// <summary>Up to <paramref name="k"/> distinct random picks, in a reproducible order.</summary>
    private List<MemberEntry> PickRandom(ImmutableArray<MemberEntry> from, int k)
    {
        var pool = from.ToList();
        var picked = new List<MemberEntry>(Math.Min(k, pool.Count));
        while (picked.Count < k && pool.Count > 0)
        {
            var i = _random.Next(pool.Count);
            picked.Add(pool[i]);
            pool.RemoveAt(i);
        }

        return picked;
    }
}
