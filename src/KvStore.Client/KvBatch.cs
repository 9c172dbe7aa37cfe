using Google.Protobuf;
using Rpc = KvStore.Protocol.V1;

namespace KvStore.Client;

/// <summary>
/// Operations to send in one call with <see cref="KvClient.ExecuteAsync(KvBatch, KvConsistency, CancellationToken)"/>,
/// which answers one <see cref="KvBatchResult"/> per operation, in the order they were added.
/// </summary>
/// <remarks>
/// <para>Each operation is carried out on its own: there is no atomicity across keys, and one
/// failing neither stops nor undoes the others. Operations on the same key are applied in the
/// order they were added; operations on different keys run concurrently on the server.</para>
/// <para>A batch holds 1 to 1000 operations unless the server is configured otherwise
/// (Limits:MaxBatchOperations), and must fit the message limit as a whole. A batch may be executed
/// more than once; it is not thread-safe while operations are being added.</para>
/// </remarks>
public sealed class KvBatch
{
    private readonly List<Rpc.BatchOperation> _operations = [];
    private readonly List<KvOperationKind> _kinds = [];

    /// <summary>Operations added so far.</summary>
    public int Count => _operations.Count;

    internal IReadOnlyList<Rpc.BatchOperation> Operations => _operations;

    internal IReadOnlyList<KvOperationKind> Kinds => _kinds;

    /// <summary>Reads a register key; the result's <see cref="KvBatchResult.Value"/> is null when it is missing.</summary>
    public KvBatch Get(ReadOnlyMemory<byte> key) => AddGet(KvClient.Bytes(key));

    /// <inheritdoc cref="Get(ReadOnlyMemory{byte})"/>
    public KvBatch Get(string key) => AddGet(KvClient.Utf8(key, nameof(key)));

    /// <summary>Writes a register key; with a context it supersedes exactly what that read saw.</summary>
    public KvBatch Put(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, KvContext? context = null) =>
        AddPut(KvClient.Bytes(key), KvClient.Bytes(value), context);

    /// <inheritdoc cref="Put(ReadOnlyMemory{byte}, ReadOnlyMemory{byte}, KvContext?)"/>
    public KvBatch Put(string key, string value, KvContext? context = null) =>
        AddPut(KvClient.Utf8(key, nameof(key)), KvClient.Utf8(value, nameof(value)), context);

    /// <summary>Deletes a key of either type; with a context it removes exactly what that read saw.</summary>
    public KvBatch Delete(ReadOnlyMemory<byte> key, KvContext? context = null) => AddDelete(KvClient.Bytes(key), context);

    /// <inheritdoc cref="Delete(ReadOnlyMemory{byte}, KvContext?)"/>
    public KvBatch Delete(string key, KvContext? context = null) => AddDelete(KvClient.Utf8(key, nameof(key)), context);

    /// <summary>Adds elements to a set key, creating it.</summary>
    public KvBatch SetAdd(ReadOnlyMemory<byte> key, IEnumerable<ReadOnlyMemory<byte>> elements) =>
        AddSetAdd(KvClient.Bytes(key), KvClient.Elements(elements));

    /// <inheritdoc cref="SetAdd(ReadOnlyMemory{byte}, IEnumerable{ReadOnlyMemory{byte}})"/>
    public KvBatch SetAdd(string key, IEnumerable<string> elements) =>
        AddSetAdd(KvClient.Utf8(key, nameof(key)), KvClient.Elements(elements));

    /// <summary>Removes elements from a set key: the additions the context saw or, without one, those the coordinating replica holds.</summary>
    public KvBatch SetRemove(ReadOnlyMemory<byte> key, IEnumerable<ReadOnlyMemory<byte>> elements, KvContext? context = null) =>
        AddSetRemove(KvClient.Bytes(key), KvClient.Elements(elements), context);

    /// <inheritdoc cref="SetRemove(ReadOnlyMemory{byte}, IEnumerable{ReadOnlyMemory{byte}}, KvContext?)"/>
    public KvBatch SetRemove(string key, IEnumerable<string> elements, KvContext? context = null) =>
        AddSetRemove(KvClient.Utf8(key, nameof(key)), KvClient.Elements(elements), context);

    /// <summary>Reads a set key; the result's <see cref="KvBatchResult.Set"/> is null when it is missing, deleted or empty.</summary>
    public KvBatch GetSet(ReadOnlyMemory<byte> key) => AddGetSet(KvClient.Bytes(key));

    /// <inheritdoc cref="GetSet(ReadOnlyMemory{byte})"/>
    public KvBatch GetSet(string key) => AddGetSet(KvClient.Utf8(key, nameof(key)));

    private KvBatch AddGet(ByteString key) =>
        Add(KvOperationKind.Get, new Rpc.BatchOperation { Get = new Rpc.GetRequest { Key = key } });

    private KvBatch AddPut(ByteString key, ByteString value, KvContext? context) =>
        Add(KvOperationKind.Put, new Rpc.BatchOperation { Put = new Rpc.PutRequest { Key = key, Value = value, Context = KvContext.ToWire(context) } });

    private KvBatch AddDelete(ByteString key, KvContext? context) =>
        Add(KvOperationKind.Delete, new Rpc.BatchOperation { Delete = new Rpc.DeleteRequest { Key = key, Context = KvContext.ToWire(context) } });

    private KvBatch AddSetAdd(ByteString key, IEnumerable<ByteString> elements)
    {
        var request = new Rpc.SetAddRequest { Key = key };
        request.Elements.Add(elements);
        return Add(KvOperationKind.SetAdd, new Rpc.BatchOperation { SetAdd = request });
    }

    private KvBatch AddSetRemove(ByteString key, IEnumerable<ByteString> elements, KvContext? context)
    {
        var request = new Rpc.SetRemoveRequest { Key = key, Context = KvContext.ToWire(context) };
        request.Elements.Add(elements);
        return Add(KvOperationKind.SetRemove, new Rpc.BatchOperation { SetRemove = request });
    }

    private KvBatch AddGetSet(ByteString key) =>
        Add(KvOperationKind.GetSet, new Rpc.BatchOperation { SetMembers = new Rpc.SetMembersRequest { Key = key } });

    private KvBatch Add(KvOperationKind kind, Rpc.BatchOperation operation)
    {
        _operations.Add(operation);
        _kinds.Add(kind);
        return this;
    }
}
