using System.Text;
using KvStore.Cluster;
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

        app.MapGet("/debug/routingtable", (LocalReplica replica, IOptions<NodeOptions> node) => Results.Json(new
        {
            node = replica.Actor.Node,
            actor = replica.Actor.ToString(),
            members = new[]
            {
                new { id = replica.Actor.Node, address = node.Value.Listen, state = "alive", incarnation = 0L, self = true },
            },
        })).OnPort(port);

        app.MapGet("/debug/data", DebugData).OnPort(port);
    }

    /// <summary>Everything the node holds for one key: value or members, clock, siblings and their timestamps.</summary>
    private static IResult DebugData(string? key, string? keyBase64, LocalReplica replica)
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

        var obj = replica.Read(keyBytes);
        var keyText = Utf8OrNull(keyBytes) ?? Convert.ToBase64String(keyBytes);
        if (obj is null)
        {
            return Results.NotFound(new { key = keyText, found = false });
        }

        var versionVector = obj.Clock.Entries.ToArray().Select(e => new
        {
            actor = e.Actor.ToString(),
            node = e.Actor.Node,
            epoch = e.Actor.Epoch.ToString("x16"),
            counter = e.Counter,
        });
        var context = Convert.ToBase64String(ObjectCodec.EncodeContext(obj.Context));

        if (obj.Register is { } register)
        {
            var winner = register.Winner;
            return Results.Json(new
            {
                key = keyText,
                type = "register",
                found = winner is not null,
                value = winner is { } w ? Utf8OrNull(w.Value.Span) : null,
                valueBase64 = winner is { } w2 ? Convert.ToBase64String(w2.Value.Span) : null,
                timestamp = winner?.Timestamp.ToString(),
                // More than one sibling means writes that did not see each other; the newest timestamp wins.
                concurrent = register.HasConcurrentWrites,
                siblings = register.Entries.ToArray().Select(e => new
                {
                    dot = e.Dot.ToString(),
                    timestamp = e.Timestamp.ToString(),
                    wallMillis = e.Timestamp.WallMillis,
                    logical = e.Timestamp.Logical,
                    value = Utf8OrNull(e.Value.Span),
                    valueBase64 = Convert.ToBase64String(e.Value.Span),
                    winner = winner is { } x && x.Dot == e.Dot,
                }),
                versionVector,
                context,
            });
        }

        var set = obj.Set!;
        return Results.Json(new
        {
            key = keyText,
            type = "set",
            found = set.Count > 0,
            members = set.Members.ToArray().Select(m => Utf8OrNull(m.Element) ?? Convert.ToBase64String(m.Element)),
            elements = set.Members.ToArray().Select(m => new
            {
                value = Utf8OrNull(m.Element),
                valueBase64 = Convert.ToBase64String(m.Element),
                dots = m.Dots.Select(d => d.ToString()),
            }),
            versionVector,
            context,
        });
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
