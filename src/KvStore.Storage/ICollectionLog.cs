namespace KvStore.Storage;

/// <summary>
/// When this node last took part in a tombstone collection. A node that comes back after a long
/// absence asks its peers for it: if none collected since the returning node was last alive,
/// nothing the returning node holds can bring back a collected key, and it may keep its data.
/// </summary>
public interface ICollectionLog
{
    /// <summary>The latest collection recorded, or null if this node never collected.</summary>
    DateTimeOffset? LastCollection { get; }

    /// <summary>
    /// Records a collection at <paramref name="at"/>, durably, before the collection is written: a
    /// crash in between leaves a record of a collection that did not happen, which only makes a
    /// returning node keep its old data aside, never the reverse. An earlier time than the one
    /// recorded is ignored.
    /// </summary>
    void RecordCollection(DateTimeOffset at);
}
