using KvStore.Cluster.Tombstones;
using KvStore.Core.Membership;
using KvStore.Protocol.Peer.V1;

namespace KvStore.Server.Peer;

internal sealed partial class GrpcPeerTransport : ICollectionTransport
{
    public async Task<DateTimeOffset?> LastCollectionAsync(Member target, CancellationToken cancellationToken)
    {
        var response = await CallAsync(target, new PeerRequest { Collections = new CollectionsRequest() }, cancellationToken);
        return response.HasLastCollectionUnixMs ? DateTimeOffset.FromUnixTimeMilliseconds(response.LastCollectionUnixMs) : null;
    }
}
