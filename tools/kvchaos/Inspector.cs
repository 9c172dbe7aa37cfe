using System.Text.Json;

namespace KvStore.Kvchaos;

/// <summary>What the nodes' admin ports say: membership, anti-entropy progress and each replica's object of a key.</summary>
internal sealed class Inspector(IReadOnlyList<string> adminEndpoints) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>Whether node <paramref name="node"/> lists every node as alive; with what it sees.</summary>
    public async Task<(bool Done, string Seen)> AllAliveAsync(int node, CancellationToken cancellationToken)
    {
        using var doc = JsonDocument.Parse(await _http.GetStringAsync($"{adminEndpoints[node]}/debug/routingtable", cancellationToken));
        var states = doc.RootElement.GetProperty("members").EnumerateArray()
            .Select(m => (Id: m.GetProperty("id").GetString()!, State: m.GetProperty("state").GetString()!)).ToList();
        var done = states.Count == adminEndpoints.Count && states.All(s => s.State == "alive");
        return (done, $"node{node + 1} sees " + string.Join(", ", states.Select(s => $"{s.Id} {s.State}")));
    }

    /// <summary>
    /// Whether node <paramref name="node"/> has, since <paramref name="since"/>, finished an
    /// anti-entropy exchange with each peer it shares ranges with and found no key differing.
    /// </summary>
    public async Task<(bool Done, string Seen)> QuietSinceAsync(int node, DateTimeOffset since, CancellationToken cancellationToken)
    {
        using var doc = JsonDocument.Parse(await _http.GetStringAsync($"{adminEndpoints[node]}/debug/antientropy", cancellationToken));
        var pending = new List<string>();
        foreach (var peer in doc.RootElement.GetProperty("peers").EnumerateArray())
        {
            var id = peer.GetProperty("peer").GetString();
            if (!peer.TryGetProperty("last", out var last) || last.ValueKind != JsonValueKind.Object)
            {
                pending.Add($"{id}: no exchange yet");
            }
            else if (last.GetProperty("started").GetDateTimeOffset() < since)
            {
                pending.Add($"{id}: none since the heal");
            }
            else if (last.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String)
            {
                pending.Add($"{id}: {error.GetString()}");
            }
            else if (last.GetProperty("keysDiffering").GetInt64() > 0)
            {
                pending.Add($"{id}: {last.GetProperty("keysDiffering").GetInt64()} keys differed");
            }
        }

        return (pending.Count == 0, $"node{node + 1}: " + (pending.Count == 0 ? "quiet" : string.Join(", ", pending)));
    }

    /// <summary>The key as node <paramref name="node"/>'s /debug/data reports it: the merge of its replicas and each replica's own object.</summary>
    public async Task<KeyObservation> ObserveAsync(int node, string key, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync($"{adminEndpoints[node]}/debug/data?key={Uri.EscapeDataString(key)}", cancellationToken);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var root = doc.RootElement;
        var found = root.GetProperty("found").GetBoolean();
        var value = root.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var members = root.TryGetProperty("members", out var m) ? m.EnumerateArray().Select(e => e.GetString() ?? "").ToList() : [];
        var replicas = root.GetProperty("replicas").EnumerateArray().Select(r => new ReplicaObservation(
            r.GetProperty("node").GetString()!,
            r.TryGetProperty("version", out var version) ? version.GetRawText() : null,
            r.TryGetProperty("error", out var error) ? error.GetString() : null,
            r.TryGetProperty("version", out var described) ? Summarize(described) : null)).ToList();
        return new KeyObservation(found, value, members, replicas);
    }

    /// <summary>The counter <paramref name="name"/> of node <paramref name="node"/>'s /metrics (since its last start), or 0 when absent.</summary>
    public async Task<long> CounterAsync(int node, string name, CancellationToken cancellationToken)
    {
        var text = await _http.GetStringAsync($"{adminEndpoints[node]}/metrics", cancellationToken);
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return line is not null && long.TryParse(line[(name.Length + 1)..].Trim(), out var value) ? value : 0;
    }

    /// <summary>"value w3-17, vv node1:4 node2:7" or "12 members, vv ...": enough to see how two replicas differ.</summary>
    private static string Summarize(JsonElement version)
    {
        var what = version.TryGetProperty("members", out var members)
            ? $"{members.GetArrayLength()} members"
            : $"value {(version.TryGetProperty("value", out var v) ? v.GetString() : null) ?? "(none)"}" +
              (version.TryGetProperty("siblings", out var siblings) && siblings.GetArrayLength() > 1 ? $" of {siblings.GetArrayLength()} siblings" : "");
        var vv = version.TryGetProperty("versionVector", out var entries)
            ? string.Join(' ', entries.EnumerateArray().Select(e => $"{e.GetProperty("node").GetString()}:{e.GetProperty("counter").GetInt64()}"))
            : "";
        return $"{what}, vv {vv}";
    }

    public void Dispose() => _http.Dispose();
}
