using Google.Protobuf;
using KvStore.Cluster.Replication;
using KvStore.Cluster.Tombstones;
using KvStore.Core.Membership;
using KvStore.Protocol.Peer.V1;
using TombstoneState = KvStore.Cluster.Tombstones.TombstoneState;

namespace KvStore.Server.Peer;

internal sealed partial class GrpcPeerTransport
{
    /// <summary>Object bytes one tombstones message carries at most; more entries go in further messages.</summary>
    private const int MaxTombstoneBytesPerMessage = 256 * 1024;

    public async Task<IReadOnlyList<TombstoneState>> TombstonesAsync(Member target, bool collect, IReadOnlyList<KeyTombstone> entries, CancellationToken cancellationToken)
    {
        var result = new List<TombstoneState>(entries.Count);
        var request = new TombstonesRequest { Collect = collect };
        var bytes = 0;
        foreach (var (key, tombstone) in entries)
        {
            var obj = PeerMessages.Object(tombstone);
            if (request.Entries.Count > 0 && (bytes + key.Length + obj.Length > MaxTombstoneBytesPerMessage || request.Entries.Count == TombstoneHandler.MaxEntries))
            {
                result.AddRange(await SendTombstonesAsync(target, request, cancellationToken));
                request = new TombstonesRequest { Collect = collect };
                bytes = 0;
            }

            request.Entries.Add(new TombstoneEntry { Key = UnsafeByteOperations.UnsafeWrap(key), Object = obj });
            bytes += key.Length + obj.Length;
        }

        if (request.Entries.Count > 0)
        {
            result.AddRange(await SendTombstonesAsync(target, request, cancellationToken));
        }

        return result;
    }

    private async Task<IEnumerable<TombstoneState>> SendTombstonesAsync(Member target, TombstonesRequest request, CancellationToken cancellationToken)
    {
        var response = await CallAsync(target, new PeerRequest { Tombstones = request }, cancellationToken);
        if (response.Tombstones.Count != request.Entries.Count)
        {
            throw new PeerUnreachableException(target.Id, $"answered {response.Tombstones.Count} tombstone states for {request.Entries.Count} keys");
        }

        return response.Tombstones.Select(s => new TombstoneState(s.Holds, s.Hinted, s.Collected, s.Present));
    }
}
