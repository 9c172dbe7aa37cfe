namespace KvStore.Kvbench.Report;

/// <summary>The results of one run of bench/run, and the few facts it recorded beside them.</summary>
/// <param name="Environment">The machine and run facts bench/run wrote to environment.txt, by key.</param>
/// <param name="Commands">The commands bench/run carried out, as it logged them to commands.txt.</param>
internal sealed record ResultSet(IReadOnlyList<RecordedRun> Runs, IReadOnlyDictionary<string, string> Environment, string Commands)
{
    /// <summary>The closed-loop run of a setup, workload and concurrency; null if there was none.</summary>
    public RecordedRun? Find(string setup, string workload, int concurrency) =>
        Runs.FirstOrDefault(r => r.Setup == setup && !r.Paced && r.Concurrency == concurrency && string.Equals(r.Workload, workload, StringComparison.OrdinalIgnoreCase));

    /// <summary>The paced (--rate) run of a setup and workload; null if there was none.</summary>
    public RecordedRun? FindPaced(string setup, string workload) =>
        Runs.FirstOrDefault(r => r.Setup == setup && r.Paced && string.Equals(r.Workload, workload, StringComparison.OrdinalIgnoreCase));

    /// <summary>The concurrencies at which a setup ran a workload in closed loops, in order.</summary>
    public IReadOnlyList<int> Concurrencies(string setup, string workload) =>
        [.. Runs.Where(r => r.Setup == setup && !r.Paced && string.Equals(r.Workload, workload, StringComparison.OrdinalIgnoreCase)).Select(r => r.Concurrency).Distinct().Order()];

    /// <summary>
    /// Reads every *.json result in a folder (in name order), and environment.txt ("key: value"
    /// lines) and commands.txt beside them if they are there.
    /// </summary>
    public static ResultSet Load(string folder)
    {
        var runs = Directory.GetFiles(folder, "*.json")
            .Order(StringComparer.Ordinal)
            .Select(path => RecordedRun.Parse(Path.GetFileName(path), File.ReadAllText(path)))
            .ToList();
        var environmentFile = Path.Combine(folder, "environment.txt");
        var environment = File.Exists(environmentFile) ? ParseEnvironment(File.ReadAllLines(environmentFile)) : new Dictionary<string, string>();
        var commandsFile = Path.Combine(folder, "commands.txt");
        return new ResultSet(runs, environment, File.Exists(commandsFile) ? File.ReadAllText(commandsFile) : "");
    }

    public static IReadOnlyDictionary<string, string> ParseEnvironment(IEnumerable<string> lines)
    {
        var facts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                facts[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        return facts;
    }
}
