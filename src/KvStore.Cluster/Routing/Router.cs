using KvStore.Cluster.Membership;
using Microsoft.Extensions.Options;

namespace KvStore.Cluster.Routing;

/// <summary>
/// Keeps the current <see cref="RoutingTable"/> in step with membership: every membership change
/// builds a new table and swaps it in, so a request reads one consistent table without locks.
/// </summary>
public sealed class Router : IDisposable
{
    private readonly IMembership _membership;
    private readonly int _replicationFactor;
    private readonly int _tokensPerNode;
    private readonly Lock _rebuild = new();
    private RoutingTable _current;

    public Router(IMembership membership, IOptions<ReplicationOptions> options)
    {
        _membership = membership;
        _replicationFactor = options.Value.ReplicationFactor;
        _tokensPerNode = options.Value.TokensPerNode;
        _current = RoutingTable.Build(membership.Current, _replicationFactor, _tokensPerNode);
        membership.Changed += OnChanged;
        OnChanged(membership.Current);
    }

    public RoutingTable Current => Volatile.Read(ref _current);

    /// <summary>
    /// Raised after a new table was swapped in, with the one it replaced and the new one, in the
    /// order the tables were built. Handlers run under the rebuild lock: they must be quick and must not throw.
    /// </summary>
    public event Action<RoutingTable, RoutingTable>? Changed;

    public void Dispose() => _membership.Changed -= OnChanged;

    private void OnChanged(MembershipView view)
    {
        lock (_rebuild)
        {
            // Views can be delivered out of order by concurrent raisers; never go back to an older one.
            if (view.Version < _current.View.Version)
            {
                return;
            }

            var previous = _current;
            Volatile.Write(ref _current, RoutingTable.Build(view, _replicationFactor, _tokensPerNode, previous));
            Changed?.Invoke(previous, _current);
        }
    }
}
