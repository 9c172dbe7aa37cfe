using KvStore.Core.Causality;
using KvStore.Core.Clock;

namespace KvStore.Core.Crdt;

/// <summary>
/// What a client saw when it read a key: the object's clock, and the latest write timestamp it
/// held. Sent back with a write, the clock says which writes or additions the write supersedes, and
/// the timestamp makes the new write's timestamp later than anything read, whatever the clocks of
/// the nodes involved say.
/// </summary>
public sealed record CausalContext(VersionVector Clock, HlcTimestamp Timestamp);
