using System.Text;
using KvStore.Cluster;
using KvStore.Core.Crdt;

namespace KvStore.Simulation.Sim;

/// <summary>
/// A simulated cluster for scripted scenarios: no faults unless the test makes them, every step
/// run on the loop to completion, so a test reads as a sequence of client calls and checks.
/// </summary>
internal sealed class Scenario
{
    public Scenario(int nodes = 3, int seed = 1)
    {
        Loop = new SimLoop();
        Cluster = new SimCluster(Loop, new Random(seed));
        for (var i = 1; i <= nodes; i++)
        {
            Cluster.Add($"n{i}");
        }

        Quiesce();
    }

    public SimLoop Loop { get; }

    public SimCluster Cluster { get; }

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    /// <summary>Runs <paramref name="work"/> on the loop until it ends (the calls it leaves running in the background go on later).</summary>
    public T Run<T>(Func<Task<T>> work)
    {
        Task<T>? task = null;
        Loop.At(TimeSpan.Zero, () => task = work());
        Loop.Run(() => task is { IsCompleted: true }, Loop.Now + TimeSpan.FromMinutes(5));
        Assert.True(task is { IsCompleted: true }, "the step did not finish within 5 virtual minutes");
        return task!.GetAwaiter().GetResult();
    }

    public KvObject? Write(string node, string key, Mutation mutation, ConsistencyLevel level = ConsistencyLevel.Quorum)
    {
        var result = Run(() => Cluster[node].Coordinator.WriteAsync(Bytes(key), mutation, level, CancellationToken.None));
        Quiesce();
        return result;
    }

    public KvObject? Read(string node, string key, ConsistencyLevel level = ConsistencyLevel.Quorum)
    {
        var result = Run(() => Cluster[node].Coordinator.ReadAsync(Bytes(key), level, CancellationToken.None));
        Quiesce();
        return result;
    }

    /// <summary>Delivers the hints <paramref name="node"/> holds to targets that are up; returns how many.</summary>
    public int ReplayHints(string node)
    {
        var delivered = Run(() => Cluster[node].Handoff.ReplayOnceAsync(CancellationToken.None));
        Quiesce();
        return delivered;
    }

    /// <summary>Runs one anti-entropy exchange from <paramref name="node"/> to <paramref name="peer"/> over the ranges they share.</summary>
    public void AntiEntropy(string node, string peer)
    {
        var table = Cluster[node].Router.Current;
        var report = Run(() => Cluster[node].Exchange.RunAsync(table.Find(peer)!, table.SharedRanges[peer], CancellationToken.None));
        Assert.Null(report.Error);
        Quiesce();
    }

    /// <summary>Lets background work (replication after the answer, read repair, membership views) finish.</summary>
    public void Quiesce() =>
        Loop.Run(() => Cluster.Network.InFlight == 0 && Loop.PendingWork == 0 && Cluster.Running.All(n => n.Coordinator.Pending == 0), Loop.Now + TimeSpan.FromMinutes(5));

    public KvObject? Stored(string node, string key) => Cluster[node].Store.Get(Bytes(key));

    /// <summary>The winning value of the register each of the key's replicas holds (null for absent or deleted).</summary>
    public IReadOnlyList<string?> Winners(string key) =>
        Cluster.Replicas(Bytes(key)).Select(r => Stored(r, key)?.Register?.Winner is { } w ? Text(w.Value) : null).ToList();

    /// <summary>The elements each of the key's replicas holds.</summary>
    public IReadOnlyList<string> Elements(string node, string key)
    {
        var set = Stored(node, key)?.Set;
        var elements = new List<string>();
        for (var i = 0; set is not null && i < set.Members.Length; i++)
        {
            elements.Add(Text(set.Members[i].Element));
        }

        return elements;
    }
}
