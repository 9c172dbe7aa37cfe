using System.Globalization;

namespace KvStore.Kvctl.Dev;

/// <summary>One node of a local cluster: its name, loopback addresses, data directory and seed.</summary>
internal sealed record NodeSpec(string Id, int GrpcPort, int AdminPort, string DataDir, string? Seed)
{
    public string Grpc => Loopback(GrpcPort);

    public string Admin => Loopback(AdminPort);

    /// <summary>The server's command line after the program: flags only, so any server build accepts them.</summary>
    public IReadOnlyList<string> ServerArguments()
    {
        List<string> args = ["--node-id", Id, "--data-dir", DataDir, "--listen", Grpc, "--admin", Admin];
        if (Seed is not null)
        {
            args.AddRange(["--seeds", Seed]);
        }

        return args;
    }

    private static string Loopback(int port) => "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Where each node of <c>kvctl dev cluster</c> lives. Node i (1-based) takes the port pair
/// base+2(i-1) for gRPC (and UDP gossip) and the next one for admin, so addresses are easy to
/// guess; every node but the first joins through node 1.
/// </summary>
internal static class LocalClusterPlan
{
    public const int MaxNodes = 16;

    public static IReadOnlyList<NodeSpec> Create(int nodes, int basePort, string dir)
    {
        if (Problem(nodes, basePort) is { } problem)
        {
            throw new ArgumentOutOfRangeException(nameof(nodes), problem);
        }

        var specs = new List<NodeSpec>(nodes);
        for (var i = 1; i <= nodes; i++)
        {
            var grpc = basePort + (2 * (i - 1));
            var id = "node" + i.ToString(CultureInfo.InvariantCulture);
            specs.Add(new NodeSpec(id, grpc, grpc + 1, Path.Combine(dir, id), i == 1 ? null : specs[0].Grpc));
        }

        return specs;
    }

    /// <summary>Why these bounds cannot make a cluster, or null when they can.</summary>
    public static string? Problem(int nodes, int basePort)
    {
        if (nodes is < 1 or > MaxNodes)
        {
            return $"--nodes must be between 1 and {MaxNodes}.";
        }

        var last = (long)basePort + (2L * nodes) - 1;
        return basePort < 1 || last > ushort.MaxValue
            ? $"--base-port must leave room for {2 * nodes} ports within 1..65535 ({nodes} nodes, 2 ports each)."
            : null;
    }
}
