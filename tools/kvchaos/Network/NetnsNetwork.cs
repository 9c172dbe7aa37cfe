namespace KvStore.Kvchaos.Network;

/// <summary>
/// One Linux network namespace per node, each with a veth link into a bridge that lives in a
/// namespace of its own; this process reaches the bridge through one more veth pair, so nothing of
/// the machine's own network changes beyond that one link. A cut is an nftables rule in the
/// receiving node's namespace that drops packets from the sender's address: one rule is a one-way
/// cut (UDP gossip flows the other way; TCP does not, as its handshake needs both), two make a
/// symmetric one. Everything is named after the run id, and removing the namespaces removes the
/// links and rules with them. Needs root.
/// </summary>
internal sealed class NetnsNetwork(string runId, int nodes, Action<string> log) : IChaosNetwork
{
    private const string Table = "kvchaos";
    private readonly string _prefix = "kvc" + runId;
    private readonly List<string> _namespaces = [];
    private readonly HashSet<(int From, int To)> _cuts = [];
    private string _subnet = "";
    private bool _hostLink;

    public string Description => $"network namespaces {_prefix}-n0..{nodes - 1} on {_subnet}.0/24, bridged in {_prefix}-br; this process is {_subnet}.254";

    public bool CanPartition => true;

    private string BridgeNamespace => $"{_prefix}-br";

    private string HostLink => $"{_prefix}h";

    private string NodeNamespace(int node) => $"{_prefix}-n{node}";

    public string Address(int node) => $"{_subnet}.{node + 1}";

    public IReadOnlyList<string> Launcher(int node) => ["ip", "netns", "exec", NodeNamespace(node)];

    /// <summary>The namespaces a run with this id creates, for removing what a killed run left behind.</summary>
    public static bool BelongsTo(string netns, string runId) => netns.StartsWith($"kvc{runId}-", StringComparison.Ordinal);

    public async Task SetUpAsync(CancellationToken cancellationToken)
    {
        _subnet = await FreeSubnetAsync(cancellationToken);
        await AddNamespaceAsync(BridgeNamespace, cancellationToken);
        await Ip(cancellationToken, "-n", BridgeNamespace, "link", "add", "br0", "type", "bridge");
        await Ip(cancellationToken, "-n", BridgeNamespace, "link", "set", "br0", "up");

        for (var i = 0; i < nodes; i++)
        {
            var ns = NodeNamespace(i);
            var inside = $"{_prefix}n{i}";
            var port = $"{_prefix}b{i}";
            await AddNamespaceAsync(ns, cancellationToken);
            await Ip(cancellationToken, "link", "add", inside, "netns", ns, "type", "veth", "peer", "name", port, "netns", BridgeNamespace);
            await Ip(cancellationToken, "-n", BridgeNamespace, "link", "set", port, "master", "br0", "up");
            await Ip(cancellationToken, "-n", ns, "addr", "add", $"{Address(i)}/24", "dev", inside);
            await Ip(cancellationToken, "-n", ns, "link", "set", inside, "up");
            await Nft(i, cancellationToken, "add", "table", "inet", Table);
            await Nft(i, cancellationToken, "add", "chain", "inet", Table, "input", "{ type filter hook input priority 0; policy accept; }");
        }

        await Ip(cancellationToken, "link", "add", HostLink, "type", "veth", "peer", "name", $"{_prefix}hb", "netns", BridgeNamespace);
        _hostLink = true;
        await Ip(cancellationToken, "-n", BridgeNamespace, "link", "set", $"{_prefix}hb", "master", "br0", "up");
        await Ip(cancellationToken, "addr", "add", $"{_subnet}.254/24", "dev", HostLink);
        await Ip(cancellationToken, "link", "set", HostLink, "up");
    }

    public async Task CutAsync(int from, int to, CancellationToken cancellationToken)
    {
        if (_cuts.Add((from, to)))
        {
            await Nft(to, cancellationToken, "add", "rule", "inet", Table, "input", "ip", "saddr", Address(from), "drop");
        }
    }

    public async Task HealAsync(CancellationToken cancellationToken)
    {
        foreach (var to in _cuts.Select(c => c.To).Distinct().ToList())
        {
            await Nft(to, cancellationToken, "flush", "chain", "inet", Table, "input");
        }

        _cuts.Clear();
    }

    /// <summary>Removes the namespaces (and with them the links and rules in them) and the host's link, each attempted even if another fails.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var ns in Enumerable.Reverse(_namespaces))
        {
            var (code, output) = await Shell.TryRunAsync("ip", ["netns", "del", ns], CancellationToken.None);
            if (code != 0)
            {
                log($"could not remove namespace {ns}: {output.Trim()}");
            }
        }

        if (_hostLink)
        {
            // Normally gone with its peer in the bridge namespace.
            await Shell.TryRunAsync("ip", ["link", "del", HostLink], CancellationToken.None);
        }
    }

    private async Task AddNamespaceAsync(string ns, CancellationToken cancellationToken)
    {
        await Ip(cancellationToken, "netns", "add", ns);
        _namespaces.Add(ns);
        await Ip(cancellationToken, "-n", ns, "link", "set", "lo", "up");
    }

    /// <summary>A 10.213.x subnet that no address or route of this machine uses yet.</summary>
    private async Task<string> FreeSubnetAsync(CancellationToken cancellationToken)
    {
        var (_, addresses) = await Shell.TryRunAsync("ip", ["-4", "-o", "addr"], cancellationToken);
        var (_, routes) = await Shell.TryRunAsync("ip", ["-4", "route"], cancellationToken);
        var start = Convert.ToInt32(runId, 16) % 250;
        for (var i = 0; i < 250; i++)
        {
            var subnet = $"10.213.{(start + i) % 250}";
            if (!addresses.Contains(subnet + ".", StringComparison.Ordinal) && !routes.Contains(subnet + ".", StringComparison.Ordinal))
            {
                return subnet;
            }
        }

        throw new InvalidOperationException("no free 10.213.x.0/24 subnet");
    }

    private static Task Ip(CancellationToken cancellationToken, params string[] args) => Shell.RunAsync("ip", args, cancellationToken);

    private Task Nft(int node, CancellationToken cancellationToken, params string[] args) =>
        Shell.RunAsync("ip", ["netns", "exec", NodeNamespace(node), "nft", .. args], cancellationToken);
}
