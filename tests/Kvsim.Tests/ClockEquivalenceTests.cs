using KvStore.Cluster.Membership;
using KvStore.Cluster.Membership.Testing;
using KvStore.Kvsim.Membership;
using Microsoft.Extensions.Time.Testing;

namespace KvStore.Kvsim.Tests;

/// <summary>
/// The simulator's figures are only SWIM's if jumping from event to event runs the same events in
/// the same order as the one-millisecond steps of FakeTimeProvider that the membership tests use.
/// </summary>
public sealed class ClockEquivalenceTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A lossy, jittery six-node cluster in which one node crashes; every view change with its time.</summary>
    private static async Task<List<string>> TraceAsync(TimeProvider clock, Action<TimeSpan> advance, int seed)
    {
        var network = new InMemoryNetwork(clock, seed)
        {
            DropProbability = 0.2,
            DuplicateProbability = 0.1,
            Jitter = TimeSpan.FromMilliseconds(20),
        };
        var trace = new List<string>();
        var nodes = new List<SimNode>();
        for (var i = 0; i < 6; i++)
        {
            var node = SimNode.Create(i, network, clock, new MembershipOptions(), seed);
            node.Membership.Changed += view => trace.Add(
                $"{(clock.GetUtcNow() - Start).TotalMilliseconds} {node.Id}: " + string.Join(" ", view.Members.Select(m => $"{m.Id}={m.State}/{m.Incarnation}")));
            nodes.Add(node);
        }

        try
        {
            foreach (var n in nodes)
            {
                _ = n.Membership.StartAsync(n.Index == 0 ? [] : [nodes[0].Address], CancellationToken.None);
            }

            advance(TimeSpan.FromSeconds(10));
            network.Isolate(nodes[3].Address);
            advance(TimeSpan.FromSeconds(40));
            return trace;
        }
        finally
        {
            foreach (var n in nodes)
            {
                await n.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Jumping_to_the_next_timer_replays_the_history_of_millisecond_steps()
    {
        const int seed = 424242;
        var fake = new FakeTimeProvider(Start);
        var stepped = await TraceAsync(fake, d =>
        {
            var until = fake.GetUtcNow() + d;
            while (fake.GetUtcNow() < until)
            {
                fake.Advance(TimeSpan.FromMilliseconds(1));
            }
        }, seed);
        var simulated = new SimulatedClock(Start);
        var jumped = await TraceAsync(simulated, simulated.Advance, seed);

        Assert.True(stepped.Count > 20, $"a lossy run with a crash changes views often (seed {seed})");
        var same = stepped.Zip(jumped).TakeWhile(p => p.First == p.Second).Count();
        Assert.True(
            stepped.SequenceEqual(jumped),
            $"seed {seed}: the clocks diverged at change {same} of {stepped.Count}/{jumped.Count}: {stepped.ElementAtOrDefault(same)} vs {jumped.ElementAtOrDefault(same)}");
    }
}
