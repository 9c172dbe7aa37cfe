using System.Text;
using KvStore.Cluster;
using KvStore.Cluster.Membership;
using KvStore.Cluster.Routing;
using Microsoft.Extensions.Options;

namespace KvStore.Server.Admin;

/// <summary>
/// /debug/routingtable: the member table as this node sees it, a summary of the ring's tokens and
/// ownership, with <c>?key=K</c> the key's preference list, and what gossip dropped and why.
/// </summary>
internal static class RoutingTableView
{
    public static IResult Render(string? key, string? keyBase64, Router router, LocalReplica replica, SwimMembership membership, UdpDatagramTransport udp, IOptions<ReplicationOptions> options)
    {
        var table = router.Current;
        var n = options.Value.ReplicationFactor;
        var primary = table.Ring.PrimaryOwnership();
        var replicaShare = table.Ring.ReplicaOwnership(n);
        var body = new Dictionary<string, object?>
        {
            ["node"] = table.SelfId,
            ["actor"] = replica.Actor.ToString(),
            ["members"] = table.View.Members.Select(m => new
            {
                id = m.Id,
                address = m.Address,
                admin = m.AdminAddress,
                state = MemberStates.Name(m.State),
                incarnation = m.Incarnation,
                self = m.Id == table.SelfId,
            }).ToList(),
            ["ring"] = new
            {
                tokensPerNode = table.Ring.TokensPerNode,
                replicas = n,
                tokens = table.Ring.TokenCount,
                nodes = table.Ring.Nodes.Select(id => new
                {
                    id,
                    tokens = table.Ring.TokensPerNode,
                    primaryOwnership = Math.Round(primary.GetValueOrDefault(id), 4),
                    replicaOwnership = Math.Round(replicaShare.GetValueOrDefault(id), 4),
                }).ToList(),
            },
        };

        if (key is not null || keyBase64 is not null)
        {
            byte[] keyBytes;
            try
            {
                keyBytes = keyBase64 is not null ? Convert.FromBase64String(keyBase64) : Encoding.UTF8.GetBytes(key!);
            }
            catch (FormatException e)
            {
                return Results.BadRequest(new { error = e.Message });
            }

            if (keyBytes.Length == 0)
            {
                return Results.BadRequest(new { error = "key is empty" });
            }

            body["key"] = key ?? keyBase64;
            body["preferenceList"] = table.PreferenceList(keyBytes).Select(m => new
            {
                id = m.Id,
                address = m.Address,
                state = MemberStates.Name(m.State),
            }).ToList();
        }

        body["gossip"] = GossipCounters(membership, udp);
        return Results.Json(body);
    }

    private static object GossipCounters(SwimMembership membership, UdpDatagramTransport udp)
    {
        // Datagrams too large to be ours are dropped by the socket reader before the engine sees them.
        var all = new Dictionary<string, long>(membership.Counters.Snapshot()) { ["UdpOversized"] = udp.Oversized };
        return new
        {
            dropped = all.Where(p => !p.Key.StartsWith("Packets", StringComparison.Ordinal))
                .ToDictionary(p => char.ToLowerInvariant(p.Key[0]) + p.Key[1..], p => p.Value),
            sent = membership.Counters.PacketsSent,
            received = membership.Counters.PacketsReceived,
            awareness = membership.Awareness,
            queuedBroadcasts = membership.QueuedBroadcasts,
        };
    }
}
