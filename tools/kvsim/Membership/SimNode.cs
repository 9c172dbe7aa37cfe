using KvStore.Cluster.Membership;
using KvStore.Cluster.Membership.Testing;
using KvStore.Cluster.Security;
using KvStore.Core.Membership;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Kvsim.Membership;

/// <summary>
/// One simulated member: a real <see cref="SwimMembership"/> on the in-memory network, with what it
/// sends counted on the way out, and a watch that records when this node first saw a chosen member
/// in a given state.
/// </summary>
internal sealed class SimNode : IAsyncDisposable
{
    private readonly CountingTransport _transport;
    private readonly CountingChannel _channel;
    private readonly TimeProvider _time;
    private long _repliesBytes;
    private readonly List<Observation> _observations = [];

    private SimNode(int index, string id, string address, NodeIdentity identity, CountingTransport transport, CountingChannel channel, SwimMembership membership, TimeProvider time)
    {
        Index = index;
        Id = id;
        Address = address;
        Identity = identity;
        _transport = transport;
        _channel = channel;
        Membership = membership;
        _time = time;
        membership.Changed += OnChanged;
    }

    public int Index { get; }

    public string Id { get; }

    public string Address { get; }

    public NodeIdentity Identity { get; }

    public SwimMembership Membership { get; }

    /// <summary>Datagrams handed to the network.</summary>
    public long DatagramsSent => _transport.Sent;

    /// <summary>Bytes of those datagrams, envelopes included.</summary>
    public long DatagramBytesSent => _transport.Bytes;

    /// <summary>Push-pull exchanges this node started (a join included).</summary>
    public long PushPullsStarted => _channel.Started;

    /// <summary>Bytes of the push-pull requests this node sent and of the replies it served.</summary>
    public long PushPullBytesSent => _channel.Bytes + _repliesBytes;

    /// <summary>Ids are zero-padded so that the ordinal order of ids is the order of creation.</summary>
    public static string IdOf(int index) => $"n{index:D5}";

    /// <summary>A distinct made-up address per node; the in-memory network only needs it to be unique.</summary>
    public static string AddressOf(int index) => $"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}:7070";

    public static SimNode Create(int index, InMemoryNetwork network, TimeProvider time, MembershipOptions options, int seed)
    {
        var id = IdOf(index);
        var address = AddressOf(index);
        var identity = NodeIdentity.Create();
        var transport = new CountingTransport(network.CreateTransport(address));
        var channel = new CountingChannel(network.CreateChannel(address));
        var membership = new SwimMembership(
            options,
            identity,
            new LocalMember(id, address, ""),
            transport,
            channel,
            time,
            NullLogger.Instance,
            new Random(unchecked((seed * 31) + index)));
        var node = new SimNode(index, id, address, identity, transport, channel, membership, time);
        network.ServePushPull(address, r =>
        {
            var reply = membership.HandlePushPull(r);
            node._repliesBytes += reply.Length;
            return reply;
        });
        return node;
    }

    /// <summary>Reports this node's views to <paramref name="observation"/> from now on (and its current one at once).</summary>
    public void Report(Observation observation)
    {
        _observations.Add(observation);
        observation.See(Id, Membership.Current, _time.GetUtcNow());
    }

    /// <summary>Stops reporting to every observation.</summary>
    public void StopReporting() => _observations.Clear();

    public int AliveCount()
    {
        var alive = 0;
        foreach (var m in Membership.Current.Members)
        {
            if (m.State == MemberState.Alive)
            {
                alive++;
            }
        }

        return alive;
    }

    public async ValueTask DisposeAsync()
    {
        await Membership.DisposeAsync();
        Identity.Dispose();
    }

    private void OnChanged(MembershipView view)
    {
        foreach (var o in _observations)
        {
            o.See(Id, view, _time.GetUtcNow());
        }
    }

    private sealed class CountingTransport(IDatagramTransport inner) : IDatagramTransport
    {
        public long Sent { get; private set; }

        public long Bytes { get; private set; }

        public string LocalAddress => inner.LocalAddress;

        public ValueTask SendAsync(string address, ReadOnlyMemory<byte> datagram, CancellationToken ct)
        {
            Sent++;
            Bytes += datagram.Length;
            return inner.SendAsync(address, datagram, ct);
        }

        public void Start(Action<string, ReadOnlyMemory<byte>> onDatagram) => inner.Start(onDatagram);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private sealed class CountingChannel(IPushPullChannel inner) : IPushPullChannel
    {
        public long Started { get; private set; }

        public long Bytes { get; private set; }

        public Task<byte[]> ExchangeAsync(string address, byte[] sealedRequest, CancellationToken ct)
        {
            Started++;
            Bytes += sealedRequest.Length;
            return inner.ExchangeAsync(address, sealedRequest, ct);
        }
    }
}
