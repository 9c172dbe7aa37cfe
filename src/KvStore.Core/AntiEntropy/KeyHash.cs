namespace KvStore.Core.AntiEntropy;

/// <summary>One key of a replica as anti-entropy sees it: its ring position and its <see cref="ObjectHash"/>.</summary>
public sealed record KeyHash(byte[] Key, ulong Position, ulong Hash);
