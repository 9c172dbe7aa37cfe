namespace KvStore.Kvchaos.Network;

/// <summary>Where the nodes live and how links between them are cut and healed.</summary>
internal interface IChaosNetwork : IAsyncDisposable
{
    /// <summary>A line for the log: what this network is.</summary>
    string Description { get; }

    /// <summary>Whether <see cref="CutAsync"/> is possible here.</summary>
    bool CanPartition { get; }

    /// <summary>The IP address node <paramref name="node"/> listens on.</summary>
    string Address(int node);

    /// <summary>The command and arguments that run a program on node <paramref name="node"/>'s network (empty: this process's own).</summary>
    IReadOnlyList<string> Launcher(int node);

    Task SetUpAsync(CancellationToken cancellationToken);

    /// <summary>Drops every packet from node <paramref name="from"/> that arrives at node <paramref name="to"/>; the other direction still flows.</summary>
    Task CutAsync(int from, int to, CancellationToken cancellationToken);

    /// <summary>Removes every cut.</summary>
    Task HealAsync(CancellationToken cancellationToken);
}
