namespace KvStore.Client;

/// <summary>Which operation a <see cref="KvBatchResult"/> answers. Values are explicit and append-only.</summary>
public enum KvOperationKind
{
    /// <summary><see cref="KvBatch.Get(string)"/>: the result carries <see cref="KvBatchResult.Value"/>.</summary>
    Get = 0,

    /// <summary><see cref="KvBatch.Put(string, string, KvContext?)"/>: the result carries <see cref="KvBatchResult.Context"/>.</summary>
    Put = 1,

    /// <summary><see cref="KvBatch.Delete(string, KvContext?)"/>: the result carries nothing but its status.</summary>
    Delete = 2,

    /// <summary><see cref="KvBatch.SetAdd(string, IEnumerable{string})"/>: the result carries <see cref="KvBatchResult.Context"/>.</summary>
    SetAdd = 3,

    /// <summary><see cref="KvBatch.SetRemove(string, IEnumerable{string}, KvContext?)"/>: the result carries <see cref="KvBatchResult.Context"/>.</summary>
    SetRemove = 4,

    /// <summary><see cref="KvBatch.GetSet(string)"/>: the result carries <see cref="KvBatchResult.Set"/>.</summary>
    GetSet = 5,
}
