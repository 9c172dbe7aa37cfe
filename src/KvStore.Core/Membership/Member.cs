namespace KvStore.Core.Membership;

/// <summary>One row of the member table as every node sees it.</summary>
/// <param name="Id">The node id (the node part of its actor ids).</param>
/// <param name="Address">The node's gRPC address, HOST:PORT; its UDP gossip listens on the same port number.</param>
/// <param name="AdminAddress">The node's admin HTTP address, HOST:PORT, or empty when unknown.</param>
/// <param name="State">What the cluster believes about it.</param>
/// <param name="Incarnation">Raised only by the member itself, to refute a suspicion; orders claims about it.</param>
public sealed record Member(string Id, string Address, string AdminAddress, MemberState State, ulong Incarnation);
