using KvStore.Cluster.Security;
using KvStore.Core.Serialization;

namespace KvStore.Cluster.Membership.Messages;

/// <summary>A node's signed announcement that it leaves the cluster at an incarnation. Only the node may say so.</summary>
internal sealed record LeftRecord(string Id, ulong Incarnation, byte[] Signature)
{
    private const string Domain = "kvstore.swim.left.v1";

    public static LeftRecord Create(NodeIdentity identity, string id, ulong incarnation) =>
        new(id, incarnation, identity.Sign(SignedBytes(id, incarnation)));

    public bool VerifyWith(byte[] publicKey) => NodeIdentity.Verify(publicKey, SignedBytes(Id, Incarnation), Signature);

    private static byte[] SignedBytes(string id, ulong incarnation)
    {
        var w = new ByteWriter();
        w.WriteString(Domain);
        w.WriteString(id);
        w.WriteVarint(incarnation);
        return w.ToArray();
    }
}
