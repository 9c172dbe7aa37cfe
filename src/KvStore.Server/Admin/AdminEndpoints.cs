using System.Text;
using KvStore.Cluster;
using KvStore.Cluster.Replication;
using KvStore.Core.Crdt;
using KvStore.Core.Serialization;
using KvStore.Server.Configuration;
using KvStore.Server.Metrics;
using KvStore.Storage;
using Microsoft.Extensions.Options;

namespace KvStore.Server.Admin;

/// <summary>The operator's view on the admin port: health, metrics, routing table and per-key state.</summary>
internal static class AdminEndpoints
{
    public static void MapAdminEndpoints(this IEndpointRouteBuilder app, int port)
    {
        app.MapGet("/healthz", (LocalReplica replica, IObjectStore store) => store.IsHealthy
                ? Results.Json(new { status = "serving", node = replica.Actor.Node })
                : Results.Json(new { status = "not_serving", node = replica.Actor.Node }, statusCode: StatusCodes.Status503ServiceUnavailable))
            .OnPort(port);

        app.MapGet("/metrics", (ServerMetrics metrics) => Results.Text(metrics.Render(), "text/plain; version=0.0.4"))
            .OnPort(port);

        app.MapGet("/debug/routingtable", RoutingTableView.Render).OnPort(port);

        app.MapGet("/debug/data", DebugData).OnPort(port);

        app.MapGet("/debug/antientropy", AntiEntropyView.Render).OnPort(port);

        app.MapGet("/debug/handoff", HandoffView.Render).OnPort(port);

        app.MapGet("/debug/away", AwayView.Render).OnPort(port);

        app.MapPost("/cluster/leave", HandoffView.Leave).OnPort(port);
    }

    /// <summary>
    /// One key across the cluster, asked live: each replica's stored version (and every other
    /// alive member's, should it hold a stray copy), the merge of the replicas, and the hints held
    /// for the key.
    /// </summary>
    private static async Task<IResult> DebugData(string? key, string? keyBase64, Coordinator coordinator, CancellationToken cancellationToken)
    {
        byte[] keyBytes;
        try
        {
            keyBytes = keyBase64 is not null ? Convert.FromBase64String(keyBase64)
                : key is not null ? Encoding.UTF8.GetBytes(key)
                : throw new FormatException("give ?key=K (UTF-8) or ?keyBase64=B64");
        }
        catch (FormatException e)
        {
            return Results.BadRequest(new { error = e.Message });
        }

        if (keyBytes.Length == 0)
        {
            return Results.BadRequest(new { error = "key is empty" });
        }

        var inspection = await coordinator.InspectAsync(keyBytes, cancellationToken);
        var keyText = Utf8OrNull(keyBytes) ?? Convert.ToBase64String(keyBytes);
        var merged = inspection.Merged;
        var body = new Dictionary<string, object?>
        {
            ["key"] = keyText,
            ["found"] = merged?.IsLive ?? false,
        };
        if (merged is not null)
        {
            foreach (var (name, value) in Describe(merged))
            {
                body[name] = value;
            }
        }

        body["replicas"] = inspection.Holdings.Where(h => h.IsReplica).Select(Holding);
        body["others"] = inspection.Holdings.Where(h => !h.IsReplica && (h.Object is not null || h.Hints.Count > 0 || h.Error is not null)).Select(Holding);
        body["hints"] = inspection.Holdings.SelectMany(h => h.Hints.Select(hint => new
        {
            heldBy = h.Member.Id,
            target = hint.Target,
            version = Describe(hint.Object),
        }));
        return merged is null && !inspection.Holdings.Any(h => h.Hints.Count > 0)
            ? Results.Json(body, statusCode: StatusCodes.Status404NotFound)
            : Results.Json(body);
    }

    private static Dictionary<string, object?> Holding(NodeHolding h)
    {
        var d = new Dictionary<string, object?>
        {
            ["node"] = h.Member.Id,
            ["state"] = MemberStates.Name(h.Member.State),
            ["found"] = h.Object?.IsLive ?? false,
        };
        if (h.Error is not null)
        {
            d["error"] = h.Error;
        }

        if (h.Object is not null)
        {
            d["version"] = Describe(h.Object);
        }

        return d;
    }

    /// <summary>Everything one object holds: value or members, siblings and their timestamps, clock and context.</summary>
    private static Dictionary<string, object?> Describe(KvObject obj)
    {
        var d = new Dictionary<string, object?>();
        var versionVector = obj.Clock.Entries.ToArray().Select(e => new
        {
            actor = e.Actor.ToString(),
            node = e.Actor.Node,
            epoch = e.Actor.Epoch.ToString("x16"),
            counter = e.Counter,
        });
        if (obj.Register is { } register)
        {
            var winner = register.Winner;
            d["type"] = "register";
            d["value"] = winner is { } w ? Utf8OrNull(w.Value.Span) : null;
            d["valueBase64"] = winner is { } w2 ? Convert.ToBase64String(w2.Value.Span) : null;
            d["timestamp"] = winner?.Timestamp.ToString();

            // More than one sibling means writes that did not see each other; the newest timestamp wins.
            d["concurrent"] = register.HasConcurrentWrites;
            d["siblings"] = register.Entries.ToArray().Select(e => new
            {
                dot = e.Dot.ToString(),
                timestamp = e.Timestamp.ToString(),
                wallMillis = e.Timestamp.WallMillis,
                logical = e.Timestamp.Logical,
                value = Utf8OrNull(e.Value.Span),
                valueBase64 = Convert.ToBase64String(e.Value.Span),
                winner = winner is { } x && x.Dot == e.Dot,
            }).ToList();
        }
        else
        {
            var set = obj.Set!;
            d["type"] = "set";
            d["members"] = set.Members.ToArray().Select(m => Utf8OrNull(m.Element) ?? Convert.ToBase64String(m.Element)).ToList();
            d["elements"] = set.Members.ToArray().Select(m => new
            {
                value = Utf8OrNull(m.Element),
                valueBase64 = Convert.ToBase64String(m.Element),
                dots = m.Dots.Select(dot => dot.ToString()),
            }).ToList();
        }

        d["versionVector"] = versionVector.ToList();
        d["context"] = Convert.ToBase64String(ObjectCodec.EncodeContext(obj.Context));
        return d;
    }

    private static string? Utf8OrNull(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
