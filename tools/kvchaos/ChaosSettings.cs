using System.Globalization;

namespace KvStore.Kvchaos;

/// <summary>The run's settings, from the command line.</summary>
internal sealed record ChaosSettings
{
    public const string Usage = """
        usage: kvchaos --server PATH [options]
          --server PATH       KvStore.Server.dll to run (chaos/run passes the one it built)
          --seed N            seed of the fault schedule and the load (default: random, printed)
          --nodes N           server processes, 3-9 (default 5)
          --duration S        seconds of load and faults (default 60)
          --writers N         concurrent writers, 1-64 (default 8)
          --settle S          at most this many seconds for the healed cluster to go quiet (default 120)
          --network KIND      netns (namespaces, bridge, nftables; needs root) or loopback (no partitions) (default netns)
          --run-id HEX        4 hex digits naming the run's folder, namespaces and keys (default: random)
          --keep              keep the nodes' data directories after the run
        """;

    public required string Server { get; init; }
    public int Seed { get; init; }
    public int Nodes { get; init; } = 5;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);
    public int Writers { get; init; } = 8;
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(120);
    public string Network { get; init; } = "netns";
    public required string RunId { get; init; }
    public bool Keep { get; init; }

    /// <summary>The command that replays this run's schedule and load.</summary>
    public string ReplayCommand =>
        $"chaos/run --seed {Seed} --nodes {Nodes} --duration {Duration.TotalSeconds} --writers {Writers} --network {Network}";

    /// <exception cref="FormatException">An unknown option or a value out of range; the message says which.</exception>
    public static ChaosSettings Parse(IReadOnlyList<string> args)
    {
        string? server = null;
        int? seed = null;
        int nodes = 5, writers = 8;
        double duration = 60, settle = 120;
        var network = "netns";
        string? runId = null;
        var keep = false;
        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--server": server = Next(); break;
                case "--seed": seed = Int(Next(), "--seed", int.MinValue, int.MaxValue); break;
                case "--nodes": nodes = Int(Next(), "--nodes", 3, 9); break;
                case "--duration": duration = Number(Next(), "--duration", 5, 3600); break;
                case "--writers": writers = Int(Next(), "--writers", 1, 64); break;
                case "--settle": settle = Number(Next(), "--settle", 10, 3600); break;
                case "--network":
                    network = Next();
                    if (network is not ("netns" or "loopback"))
                    {
                        throw new FormatException($"--network must be netns or loopback (is {network})");
                    }

                    break;
                case "--run-id":
                    runId = Next();
                    if (runId.Length != 4 || !runId.All(char.IsAsciiHexDigitLower))
                    {
                        throw new FormatException($"--run-id must be 4 lowercase hex digits (is {runId})");
                    }

                    break;
                case "--keep": keep = true; break;
                default: throw new FormatException($"unknown option {args[i]}");
            }
        }

        if (server is null)
        {
            throw new FormatException("--server is required");
        }

        return new ChaosSettings
        {
            Server = Path.GetFullPath(server),
            Seed = seed ?? Random.Shared.Next(),
            Nodes = nodes,
            Duration = TimeSpan.FromSeconds(duration),
            Writers = writers,
            Settle = TimeSpan.FromSeconds(settle),
            Network = network,
            RunId = runId ?? Random.Shared.Next(0x10000).ToString("x4", CultureInfo.InvariantCulture),
            Keep = keep,
        };
    }

    private static int Int(string text, string name, int min, int max) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw new FormatException($"{name} must be an integer from {min} to {max} (is {text})");

    private static double Number(string text, string name, double min, double max) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw new FormatException($"{name} must be a number from {min} to {max} (is {text})");
}
