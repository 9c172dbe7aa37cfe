using KvStore.Cluster.Security;
using KvStore.Core.Serialization;

namespace KvStore.Cluster.Membership.Messages;

/// <summary>
/// A node's own statement that it is alive at an incarnation, at an address, under a public key,
/// signed with that key. Gossip may carry it anywhere, but only the node itself can make a new one,
/// so no member can keep a dead node alive or move its address.
/// </summary>
internal sealed record AliveRecord(string Id, string Address, string AdminAddress, ulong Incarnation, byte[] PublicKey, byte[] Signature)
{
    private const string Domain = "kvstore.swim.alive.v1";

    public static AliveRecord Create(NodeIdentity identity, string id, string address, string adminAddress, ulong incarnation)
    {
        var pk = identity.PublicKey;
        return new AliveRecord(id, address, adminAddress, incarnation, pk, identity.Sign(SignedBytes(id, address, adminAddress, incarnation, pk)));
    }

    /// <summary>Checks the signature against <paramref name="publicKey"/> (the key bound to the id, or the record's own on first sight).</summary>
    public bool VerifyWith(byte[] publicKey) =>
        NodeIdentity.Verify(publicKey, SignedBytes(Id, Address, AdminAddress, Incarnation, PublicKey), Signature);

    /// <summary>True if both records are the same signed statement, byte for byte.</summary>
    public bool SameAs(AliveRecord other) =>
        Id == other.Id && Address == other.Address && AdminAddress == other.AdminAddress && Incarnation == other.Incarnation
        && PublicKey.AsSpan().SequenceEqual(other.PublicKey) && Signature.AsSpan().SequenceEqual(other.Signature);

    /// <summary>What is signed: a domain tag (so a signature over one kind of record never verifies another) and every field.</summary>
    private static byte[] SignedBytes(string id, string address, string adminAddress, ulong incarnation, byte[] publicKey)
    {
        var w = new ByteWriter();
        w.WriteString(Domain);
        w.WriteString(id);
        w.WriteString(address);
        w.WriteString(adminAddress);
        w.WriteVarint(incarnation);
        w.WriteBytes(publicKey);
        return w.ToArray();
    }
}
