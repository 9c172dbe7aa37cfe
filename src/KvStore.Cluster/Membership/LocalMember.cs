namespace KvStore.Cluster.Membership;

/// <summary>Who this node is, as it announces itself in its signed alive records.</summary>
/// <param name="Id">The node id.</param>
/// <param name="Address">The gRPC address HOST:PORT; gossip uses UDP on the same port.</param>
/// <param name="AdminAddress">The admin HTTP address, or empty.</param>
public sealed record LocalMember(string Id, string Address, string AdminAddress);
