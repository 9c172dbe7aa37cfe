namespace KvStore.Cluster.Membership.Testing;

/// <summary>
/// An in-memory twin of the network for deterministic tests and simulations (memberlist's
/// MockNetwork, with faults): datagrams and push-pull exchanges between in-memory endpoints, with
/// configurable loss, latency, jitter, duplication and partitions (symmetric or one-way). Every
/// delivery is a timer on the injected clock and every random choice comes from one seeded
/// <see cref="Random"/>, so with a fake clock a run is reproducible from its seed. Deliveries never
/// happen inside the call that sent them: the least latency is one millisecond.
/// </summary>
/// <remarks>
/// Drive a fake clock in one-millisecond steps. FakeTimeProvider runs the timers due by the time it
/// is advanced to, but a timer created by one of those callbacks is due relative to that target
/// time, so one long step would stall every chain of messages; all timers here are due at whole
/// milliseconds, so one-millisecond steps are exact.
/// </remarks>
public sealed class InMemoryNetwork
{
    private static readonly TimeSpan MinLatency = TimeSpan.FromMilliseconds(1);
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly TimerSet _timers;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Endpoint> _endpoints = new(StringComparer.Ordinal);
    private readonly HashSet<(string From, string To)> _blocked = [];
    private readonly HashSet<string> _isolated = new(StringComparer.Ordinal);
    private readonly Dictionary<(string From, string To), TimeSpan> _linkLatency = [];

    public InMemoryNetwork(TimeProvider time, int seed)
    {
        _time = time;
        _random = new Random(seed);
        _timers = new TimerSet(time);
        Seed = seed;
    }

    /// <summary>The seed of the network's random choices, for failure messages.</summary>
    public int Seed { get; }

    /// <summary>One-way delay of every message, unless a link has its own; at least 1 ms.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>A random extra delay from zero up to this, per message (reorders messages).</summary>
    public TimeSpan Jitter { get; set; } = TimeSpan.Zero;

    /// <summary>Chance that a datagram, a push-pull request or a reply is lost.</summary>
    public double DropProbability { get; set; }

    /// <summary>Chance that a datagram is delivered twice.</summary>
    public double DuplicateProbability { get; set; }

    /// <summary>Datagrams delivered so far.</summary>
    public long Delivered { get; private set; }

    /// <summary>Datagrams lost to <see cref="DropProbability"/>, partitions or unknown addresses.</summary>
    public long Lost { get; private set; }

    /// <summary>Called for each datagram sent, before faults apply: lets a test capture a packet to replay it.</summary>
    public event Action<string, string, ReadOnlyMemory<byte>>? Sent;

    /// <summary>A datagram endpoint at <paramref name="address"/>.</summary>
    public IDatagramTransport CreateTransport(string address)
    {
        lock (_gate)
        {
            var endpoint = GetEndpoint(address);
            if (endpoint.Transport is not null)
            {
                throw new InvalidOperationException($"{address} already has a transport");
            }

            return endpoint.Transport = new Transport(this, address);
        }
    }

    /// <summary>The push-pull channel that <paramref name="address"/> uses to reach others.</summary>
    public IPushPullChannel CreateChannel(string address) => new Channel(this, address);

    /// <summary>Serves push-pull requests to <paramref name="address"/> (with <see cref="SwimMembership.HandlePushPull"/>).</summary>
    public void ServePushPull(string address, Func<byte[], byte[]> handler)
    {
        lock (_gate)
        {
            GetEndpoint(address).PushPullHandler = handler;
        }
    }

    /// <summary>Cuts every link between the two groups, both ways.</summary>
    public void Partition(IEnumerable<string> side, IEnumerable<string> otherSide)
    {
        var other = otherSide.ToList();
        lock (_gate)
        {
            foreach (var a in side)
            {
                foreach (var b in other)
                {
                    _blocked.Add((a, b));
                    _blocked.Add((b, a));
                }
            }
        }
    }

    /// <summary>Cuts the link from <paramref name="from"/> to <paramref name="to"/> only.</summary>
    public void BlockOneWay(string from, string to)
    {
        lock (_gate)
        {
            _blocked.Add((from, to));
        }
    }

    /// <summary>Cuts a node off from everyone, both ways, including messages already in flight (a crash or a pause).</summary>
    public void Isolate(string address)
    {
        lock (_gate)
        {
            _isolated.Add(address);
        }
    }

    /// <summary>Gives <paramref name="from"/> → <paramref name="to"/> its own one-way latency.</summary>
    public void SetLinkLatency(string from, string to, TimeSpan latency)
    {
        lock (_gate)
        {
            _linkLatency[(from, to)] = latency;
        }
    }

    /// <summary>Ends every partition and isolation (latencies stay).</summary>
    public void Heal()
    {
        lock (_gate)
        {
            _blocked.Clear();
            _isolated.Clear();
        }
    }

    /// <summary>Ends the isolation of one node.</summary>
    public void Heal(string address)
    {
        lock (_gate)
        {
            _isolated.Remove(address);
        }
    }

    /// <summary>Delivers <paramref name="datagram"/> to <paramref name="to"/> as if <paramref name="from"/> sent it (subject to faults): replays and forgeries.</summary>
    public void Inject(string from, string to, ReadOnlyMemory<byte> datagram) => SendDatagram(from, to, datagram.ToArray(), tap: false);

    private Endpoint GetEndpoint(string address)
    {
        if (!_endpoints.TryGetValue(address, out var e))
        {
            e = new Endpoint();
            _endpoints.Add(address, e);
        }

        return e;
    }

    private bool Cut(string from, string to) => _isolated.Contains(from) || _isolated.Contains(to) || _blocked.Contains((from, to));

    /// <summary>Decides the fate of one message under the lock: null if it is lost, else its delay.</summary>
    private TimeSpan? Fate(string from, string to)
    {
        if (Cut(from, to) || (DropProbability > 0 && _random.NextDouble() < DropProbability))
        {
            return null;
        }

        var latency = _linkLatency.TryGetValue((from, to), out var l) ? l : Latency;
        if (Jitter > TimeSpan.Zero)
        {
            latency += TimeSpan.FromMilliseconds(Math.Floor(_random.NextDouble() * Jitter.TotalMilliseconds));
        }

        return latency < MinLatency ? MinLatency : latency;
    }

    private void SendDatagram(string from, string to, byte[] datagram, bool tap)
    {
        if (tap)
        {
            Sent?.Invoke(from, to, datagram);
        }

        lock (_gate)
        {
            var copies = DuplicateProbability > 0 && _random.NextDouble() < DuplicateProbability ? 2 : 1;
            for (var i = 0; i < copies; i++)
            {
                if (Fate(from, to) is not { } delay)
                {
                    Lost++;
                    continue;
                }

                _timers.Once(delay, () => Deliver(from, to, datagram));
            }
        }
    }

    private void Deliver(string from, string to, byte[] datagram)
    {
        Action<string, ReadOnlyMemory<byte>>? receiver;
        lock (_gate)
        {
            // A partition that began while the datagram was in flight cuts it too.
            receiver = _endpoints.TryGetValue(to, out var e) && !Cut(from, to) ? e.Transport?.Receiver : null;
            if (receiver is null)
            {
                Lost++;
                return;
            }

            Delivered++;
        }

        receiver(from, datagram);
    }

    private Task<byte[]> Exchange(string from, string to, byte[] request, CancellationToken ct)
    {
        // Continuations run inline, in the timer callback that completes the exchange: no thread pool, no race.
        var reply = new TaskCompletionSource<byte[]>();
        if (ct.CanBeCanceled)
        {
            var registration = ct.Register(() => reply.TrySetCanceled(ct));
            _ = reply.Task.ContinueWith(_ => registration.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        lock (_gate)
        {
            if (Fate(from, to) is not { } there)
            {
                return reply.Task;
            }

            _timers.Once(there, () =>
            {
                Func<byte[], byte[]>? handler;
                lock (_gate)
                {
                    handler = _endpoints.TryGetValue(to, out var e) && !Cut(from, to) ? e.PushPullHandler : null;
                }

                if (handler is null)
                {
                    return;
                }

                byte[] answer;
                try
                {
                    answer = handler(request);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Complete(to, from, () => reply.TrySetException(e));
                    return;
                }

                Complete(to, from, () => reply.TrySetResult(answer));
            });
        }

        return reply.Task;
    }

    /// <summary>Carries a push-pull outcome back, subject to the same faults as the request.</summary>
    private void Complete(string from, string to, Action complete)
    {
        lock (_gate)
        {
            if (Fate(from, to) is { } back)
            {
                _timers.Once(back, () =>
                {
                    bool cut;
                    lock (_gate)
                    {
                        cut = Cut(from, to);
                    }

                    if (!cut)
                    {
                        complete();
                    }
                });
            }
        }
    }

    private sealed class Endpoint
    {
        public Transport? Transport { get; set; }
        public Func<byte[], byte[]>? PushPullHandler { get; set; }
    }

    private sealed class Transport(InMemoryNetwork network, string address) : IDatagramTransport
    {
        public string LocalAddress => address;

        public Action<string, ReadOnlyMemory<byte>>? Receiver { get; private set; }

        public ValueTask SendAsync(string to, ReadOnlyMemory<byte> datagram, CancellationToken ct)
        {
            network.SendDatagram(address, to, datagram.ToArray(), tap: true);
            return ValueTask.CompletedTask;
        }

        public void Start(Action<string, ReadOnlyMemory<byte>> onDatagram) => Receiver = onDatagram;

        public ValueTask DisposeAsync()
        {
            Receiver = null;
            return ValueTask.CompletedTask;
        }
    }

    private sealed class Channel(InMemoryNetwork network, string address) : IPushPullChannel
    {
        public Task<byte[]> ExchangeAsync(string to, byte[] sealedRequest, CancellationToken ct) =>
            network.Exchange(address, to, sealedRequest, ct);
    }
}
