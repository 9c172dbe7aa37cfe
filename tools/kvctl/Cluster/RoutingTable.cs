using System.Text.Json;

namespace KvStore.Kvctl.Cluster;

/// <summary>
/// The typed view of <c>GET /debug/routingtable</c> that the text tables need. JSON output does
/// not go through these types: it passes on the server's own elements, so fields added to the
/// contract later reach scripts without a kvctl release.
/// </summary>
internal sealed record RoutingTable(string Node, IReadOnlyList<Member> Members, RingSummary? Ring = null, IReadOnlyList<PreferenceEntry>? PreferenceList = null)
{
    /// <summary>camelCase, and a missing or null required field is a contract violation, not a silent null.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    public static RoutingTable From(JsonElement root, string address)
    {
        try
        {
            return root.Deserialize<RoutingTable>(JsonOptions)
                ?? throw new JsonException("the routing table is null");
        }
        catch (JsonException e)
        {
            throw new AdminResponseException($"admin endpoint {address} sent a routing table kvctl does not understand: {e.Message}", e);
        }
    }
}

/// <summary>
/// One member as this node's gossip sees it; <see cref="State"/> is alive, suspect, dead or left.
/// <see cref="Admin"/> is optional so that a node from before clustering can still be listed.
/// </summary>
internal sealed record Member(string Id, string Address, string State, long Incarnation, bool Self, string? Admin = null);

internal sealed record RingSummary(int TokensPerNode, int Replicas, int Tokens, IReadOnlyList<RingNode> Nodes);

/// <summary>A node's share of the ring: the fraction of the hash space it owns first, and as any replica.</summary>
internal sealed record RingNode(string Id, int Tokens, double PrimaryOwnership, double ReplicaOwnership);

internal sealed record PreferenceEntry(string Id, string Address, string State);
