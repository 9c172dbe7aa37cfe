namespace KvStore.Kvchaos.Network;

/// <summary>
/// Every node on its own 127.0.0.x address of this machine's loopback. Nothing can be cut here
/// without rules in the machine's own firewall, so runs on it have kills and restarts only.
/// </summary>
internal sealed class LoopbackNetwork(int nodes) : IChaosNetwork
{
    public string Description => $"loopback: {nodes} nodes on 127.0.0.11-{10 + nodes}, no partitions";

    public bool CanPartition => false;

    public string Address(int node) => $"127.0.0.{11 + node}";

    public IReadOnlyList<string> Launcher(int node) => [];

    public Task SetUpAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task CutAsync(int from, int to, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the loopback network cannot cut links");

    public Task HealAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
