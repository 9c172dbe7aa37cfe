using System.Text;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using KvStore.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KvStore.Cluster.Tests;

public sealed class LocalReplicaTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kvstore-replica-" + Guid.NewGuid().ToString("N"));
    private readonly SettableTime _time = new() { Now = Start };
    private readonly RocksObjectStore _store;
    private readonly LocalReplica _replica;

    public LocalReplicaTests()
    {
        _store = RocksObjectStore.Open(new StorageOptions { DataDir = _dir }, "r1", "r1", NullLogger.Instance);
        var options = Options.Create(new ReplicaOptions { MaxClockDrift = TimeSpan.FromSeconds(10) });
        _replica = new LocalReplica(_store, new HybridLogicalClock(_time, options.Value.MaxClockDrift), options, new ClusterCounters());
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] K(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task Writes_are_minted_by_this_replicas_actor()
    {
        var obj = await _replica.WriteAsync(K("k"), new Mutation.Put(K("v"), null), Ct);
        var winner = obj!.Register!.Winner!.Value;
        Assert.Equal(_store.Actor, winner.Dot.Actor);
        Assert.Equal(1UL, winner.Dot.Counter);
        Assert.Equal(Start.ToUnixTimeMilliseconds(), winner.Timestamp.WallMillis);
    }

    [Fact]
    public async Task A_write_after_a_read_from_a_node_with_a_faster_clock_is_still_later()
    {
        // A context read elsewhere, stamped five seconds ahead of this node's clock (within drift).
        var ahead = new HlcTimestamp(Start.ToUnixTimeMilliseconds() + 5000, 2);
        var first = await _replica.WriteAsync(K("k"), new Mutation.Put(K("v1"), null), Ct);
        var context = first!.Context with { Timestamp = ahead };
        var second = await _replica.WriteAsync(K("k"), new Mutation.Put(K("v2"), context), Ct);
        var winner = second!.Register!.Winner!.Value;
        Assert.True(winner.Timestamp > ahead);
        Assert.Equal("v2", Encoding.UTF8.GetString(winner.Value.Span));
        Assert.Single(second.Register.Entries.ToArray());
    }

    [Fact]
    public async Task A_context_beyond_the_drift_is_refused_counted_and_stores_nothing()
    {
        var first = await _replica.WriteAsync(K("k"), new Mutation.Put(K("v1"), null), Ct);
        var future = first!.Context with { Timestamp = new HlcTimestamp(Start.ToUnixTimeMilliseconds() + 60_000, 0) };
        await Assert.ThrowsAsync<ClockDriftException>(() => _replica.WriteAsync(K("k"), new Mutation.Put(K("v2"), future), Ct));
        Assert.Equal(1, _replica.Clock.RejectedCount);
        Assert.Equal(first, _replica.Read(K("k")));
    }

    [Fact]
    public async Task Later_writes_get_later_timestamps_even_while_the_wall_clock_stands_still()
    {
        var a = await _replica.WriteAsync(K("k"), new Mutation.Put(K("a"), null), Ct);
        var b = await _replica.WriteAsync(K("k"), new Mutation.Put(K("b"), null), Ct);
        Assert.True(b!.Register!.Winner!.Value.Timestamp > a!.Register!.Winner!.Value.Timestamp);
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_context_this_node_minted_stays_usable_after_its_wall_clock_steps_back()
    {
        var written = await _replica.WriteAsync(K("k"), new Mutation.Put(K("v1"), null), Ct);
        _time.Now = Start - TimeSpan.FromMinutes(5);
        var rewritten = await _replica.WriteAsync(K("k"), new Mutation.Put(K("v2"), written!.Context), Ct);
        var winner = rewritten!.Register!.Winner!.Value;
        Assert.Equal("v2", Encoding.UTF8.GetString(winner.Value.Span));
        Assert.True(winner.Timestamp > written.MaxTimestamp);
        Assert.Equal(0, _replica.Clock.RejectedCount);
    }

    /// <summary>A wall clock that can be stepped backwards, as NTP may do.</summary>
    private sealed class SettableTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
