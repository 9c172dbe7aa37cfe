namespace KvStore.Core.Crdt;

/// <summary>Bounds an object must stay within after a client's mutation.</summary>
/// <param name="MaxSetElements">Members a set may hold.</param>
/// <param name="MaxVersionVectorWidth">Actors an object's clock may name.</param>
public sealed record ObjectLimits(int MaxSetElements, int MaxVersionVectorWidth);
