using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace KvStore.Testing;

/// <summary>
/// Several server processes on loopback forming one cluster: node 1 starts alone, the others name
/// it as their seed, and all share a cluster key made for this run. A node can be killed and
/// restarted on its data directory and its ports.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly ServerProcess?[] _nodes;
    private readonly string[] _dataDirs;
    private readonly int[] _grpcPorts;
    private readonly int[] _adminPorts;
    private readonly string _key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly IReadOnlyDictionary<string, string>? _environment;

    private LocalCluster(int size, IReadOnlyDictionary<string, string>? environment = null)
    {
        _environment = environment;
        _nodes = new ServerProcess?[size];
        _dataDirs = Enumerable.Range(0, size).Select(_ => ServerProcess.NewDataDir()).ToArray();
        _grpcPorts = Enumerable.Range(0, size).Select(_ => ServerProcess.FreePort()).ToArray();
        _adminPorts = Enumerable.Range(0, size).Select(_ => ServerProcess.FreePort()).ToArray();
    }

    public int Size => _nodes.Length;

    /// <summary>The running process of node <paramref name="i"/> (0-based).</summary>
    public ServerProcess this[int i] => _nodes[i] ?? throw new InvalidOperationException($"node{i + 1} is not running");

    public static string NodeId(int i) => $"node{i + 1}";

    public string GrpcEndpoint(int i) => $"http://127.0.0.1:{_grpcPorts[i]}";

    public string AdminEndpoint(int i) => $"http://127.0.0.1:{_adminPorts[i]}";

    /// <param name="environment">Extra environment variables for every node (KVSTORE_SECTION__NAME settings), or null.</param>
    public static async Task<LocalCluster> StartAsync(int size, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var cluster = new LocalCluster(size, environment);
        try
        {
            for (var i = 0; i < size; i++)
            {
                await cluster.StartFirstTimeAsync(i, cancellationToken);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts node <paramref name="i"/> for the first time. Its ports were only found free, so another
    /// process may bind one first; then it starts on new ones, as <see cref="ServerProcess.StartAsync"/>
    /// does. Nothing has used its address yet: later nodes take node 0's as their seed once it runs.
    /// </summary>
    private async Task StartFirstTimeAsync(int i, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartNodeAsync(i, cancellationToken);
                return;
            }
            catch (InvalidOperationException e) when (attempt < 3 && ServerProcess.LostPortRace(e))
            {
                _grpcPorts[i] = ServerProcess.FreePort();
                _adminPorts[i] = ServerProcess.FreePort();
            }
        }
    }

    /// <summary>Starts (or restarts) node <paramref name="i"/> on its data directory and ports.</summary>
    public async Task StartNodeAsync(int i, CancellationToken cancellationToken)
    {
        var args = new List<string> { "--node-id", NodeId(i), "--cluster-key", _key };
        if (i > 0)
        {
            args.AddRange(["--seeds", $"127.0.0.1:{_grpcPorts[0]}"]);
        }

        _nodes[i] = await ServerProcess.StartOnAsync(_dataDirs[i], _grpcPorts[i], _adminPorts[i], args, ownsDataDir: false, cancellationToken, _environment);
    }

    /// <summary>Kills node <paramref name="i"/> with SIGKILL; its data directory stays.</summary>
    public async Task KillAsync(int i)
    {
        await this[i].KillAsync();
        await this[i].DisposeAsync();
        _nodes[i] = null;
    }

    /// <summary>Stops node <paramref name="i"/> with SIGTERM and returns its exit code; its data directory stays.</summary>
    public async Task<int> TerminateAsync(int i, TimeSpan timeout)
    {
        var code = await this[i].TerminateAsync(timeout);
        await this[i].DisposeAsync();
        _nodes[i] = null;
        return code;
    }

    /// <summary>Each member's state as node <paramref name="i"/>'s /debug/routingtable reports it.</summary>
    public async Task<Dictionary<string, string>> MemberStatesAsync(int i, CancellationToken cancellationToken)
    {
        using var doc = await RoutingTableAsync(i, cancellationToken);
        return doc.RootElement.GetProperty("members").EnumerateArray()
            .ToDictionary(m => m.GetProperty("id").GetString()!, m => m.GetProperty("state").GetString()!);
    }

    public async Task<JsonDocument> RoutingTableAsync(int i, CancellationToken cancellationToken, string? key = null)
    {
        var url = $"{AdminEndpoint(i)}/debug/routingtable" + (key is null ? "" : $"?key={Uri.EscapeDataString(key)}");
        return JsonDocument.Parse(await _http.GetStringAsync(url, cancellationToken));
    }

    public async Task<JsonDocument> DebugDataAsync(int i, string key, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync($"{AdminEndpoint(i)}/debug/data?key={Uri.EscapeDataString(key)}", cancellationToken);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>Waits until node <paramref name="i"/> lists every member of the cluster as alive, for at most <paramref name="bound"/> (30 s unless given).</summary>
    public Task<TimeSpan> SeesAllAliveAsync(int i, CancellationToken cancellationToken, TimeSpan? bound = null) =>
        WithinAsync(bound ?? TimeSpan.FromSeconds(30), async () =>
        {
            var states = await MemberStatesAsync(i, cancellationToken);
            return (states.Count == Size && states.Values.All(s => s == "alive"), string.Join(", ", states));
        }, cancellationToken);

    /// <summary>Waits until every node lists every member as alive, each for at most <paramref name="bound"/> (30 s unless given).</summary>
    public async Task AllSeeAllAliveAsync(CancellationToken cancellationToken, TimeSpan? bound = null)
    {
        for (var i = 0; i < Size; i++)
        {
            await SeesAllAliveAsync(i, cancellationToken, bound);
        }
    }

    /// <summary>
    /// Checks <paramref name="condition"/> every 200 ms until it holds or <paramref name="bound"/>
    /// passes; returns the time it took, or throws with the last observation. For waiting on other
    /// processes, whose progress no test clock controls.
    /// </summary>
    public static async Task<TimeSpan> WithinAsync(TimeSpan bound, Func<Task<(bool Done, string Observed)>> condition, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        var observed = "";
        while (TimeProvider.System.GetElapsedTime(started) < bound)
        {
            try
            {
                (var done, observed) = await condition();
                if (done)
                {
                    return TimeProvider.System.GetElapsedTime(started);
                }
            }
            catch (HttpRequestException e)
            {
                observed = e.Message;
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new TimeoutException($"not within {bound.TotalSeconds} s; last observed: {observed}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            if (node is not null)
            {
                await node.DisposeAsync();
            }
        }

        foreach (var dir in _dataDirs)
        {
            ServerProcess.TryDelete(dir);
        }

        _http.Dispose();
    }
}
