using Google.Protobuf;
using Rpc = KvStore.Protocol.V1;

namespace KvStore.Client;

/// <summary>Set operations: an observed-remove set in which an add wins over a concurrent remove.</summary>
public sealed partial class KvClient
{
    /// <summary>
    /// Adds elements to a set key (creating it). Duplicates are ignored; no context is needed
    /// because an add never hides anything another client wrote.
    /// </summary>
    /// <param name="key">The key: 1 to 1024 bytes unless the server is configured otherwise; the string overload encodes it as UTF-8.</param>
    /// <param name="elements">The elements; the string overload encodes each as UTF-8.</param>
    /// <param name="consistency">How many replicas must answer; Default uses the client's, then the server's, level.</param>
    /// <param name="cancellationToken">Abandons the call; it then throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The context after the add.</returns>
    /// <exception cref="KvException">
    /// INVALID_ARGUMENT for no elements, FAILED_PRECONDITION if the key holds a register,
    /// RESOURCE_EXHAUSTED past the set's element bound.
    /// </exception>
    public Task<KvContext> SetAddAsync(ReadOnlyMemory<byte> key, IEnumerable<ReadOnlyMemory<byte>> elements, KvConsistency consistency = KvConsistency.Default, CancellationToken cancellationToken = default) =>
        SetAddCoreAsync(Bytes(key), Elements(elements), consistency, cancellationToken);

    /// <inheritdoc cref="SetAddAsync(ReadOnlyMemory{byte}, IEnumerable{ReadOnlyMemory{byte}}, KvConsistency, CancellationToken)"/>
    public Task<KvContext> SetAddAsync(string key, IEnumerable<string> elements, KvConsistency consistency = KvConsistency.Default, CancellationToken cancellationToken = default) =>
        SetAddCoreAsync(Utf8(key, nameof(key)), Elements(elements), consistency, cancellationToken);

    /// <summary>
    /// Removes elements from a set key. With the context of a read it removes exactly the
    /// additions that read saw, so an element added concurrently survives; without one it removes
    /// the additions the coordinating replica holds.
    /// </summary>
    /// <param name="key">The key: 1 to 1024 bytes unless the server is configured otherwise; the string overload encodes it as UTF-8.</param>
    /// <param name="elements">The elements; the string overload encodes each as UTF-8.</param>
    /// <param name="context">The context of an earlier read of this set, or null.</param>
    /// <param name="consistency">How many replicas must answer; Default uses the client's, then the server's, level.</param>
    /// <param name="cancellationToken">Abandons the call; it then throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The context after the remove.</returns>
    public Task<KvContext> SetRemoveAsync(ReadOnlyMemory<byte> key, IEnumerable<ReadOnlyMemory<byte>> elements, KvContext? context = null, KvConsistency consistency = KvConsistency.Default, CancellationToken cancellationToken = default) =>
        SetRemoveCoreAsync(Bytes(key), Elements(elements), context, consistency, cancellationToken);

    /// <inheritdoc cref="SetRemoveAsync(ReadOnlyMemory{byte}, IEnumerable{ReadOnlyMemory{byte}}, KvContext?, KvConsistency, CancellationToken)"/>
    public Task<KvContext> SetRemoveAsync(string key, IEnumerable<string> elements, KvContext? context = null, KvConsistency consistency = KvConsistency.Default, CancellationToken cancellationToken = default) =>
        SetRemoveCoreAsync(Utf8(key, nameof(key)), Elements(elements), context, consistency, cancellationToken);

    /// <summary>Reads a set key.</summary>
    /// <param name="key">The key: 1 to 1024 bytes unless the server is configured otherwise; the string overload encodes it as UTF-8.</param>
    /// <param name="consistency">How many replicas must answer; Default uses the client's, then the server's, level.</param>
    /// <param name="cancellationToken">Abandons the call; it then throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The members (ascending byte order) and context, or null when the set is missing, deleted or empty.</returns>
    /// <exception cref="KvException">FAILED_PRECONDITION if the key holds a register.</exception>
    public Task<KvSet?> GetSetAsync(ReadOnlyMemory<byte> key, KvConsistency consistency = KvConsistency.Default, CancellationToken cancellationToken = default) =>
        GetSetCoreAsync(Bytes(key), consistency, cancellationToken);

    /// <inheritdoc cref="GetSetAsync(ReadOnlyMemory{byte}, KvConsistency, CancellationToken)"/>
    public Task<KvSet?> GetSetAsync(string key, KvConsistency consistency = KvConsistency.Default, CancellationToken cancellationToken = default) =>
        GetSetCoreAsync(Utf8(key, nameof(key)), consistency, cancellationToken);

    private async Task<KvContext> SetAddCoreAsync(ByteString key, IEnumerable<ByteString> elements, KvConsistency consistency, CancellationToken cancellationToken)
    {
        var request = new Rpc.SetAddRequest { Key = key, Consistency = Wire(consistency) };
        request.Elements.Add(elements);
        var response = await InvokeAsync(request, static (c, r, o) => c.SetAddAsync(r, o), cancellationToken).ConfigureAwait(false);
        return KvContext.FromWire(response.Context);
    }

    private async Task<KvContext> SetRemoveCoreAsync(ByteString key, IEnumerable<ByteString> elements, KvContext? context, KvConsistency consistency, CancellationToken cancellationToken)
    {
        var request = new Rpc.SetRemoveRequest { Key = key, Context = KvContext.ToWire(context), Consistency = Wire(consistency) };
        request.Elements.Add(elements);
        var response = await InvokeAsync(request, static (c, r, o) => c.SetRemoveAsync(r, o), cancellationToken).ConfigureAwait(false);
        return KvContext.FromWire(response.Context);
    }

    private async Task<KvSet?> GetSetCoreAsync(ByteString key, KvConsistency consistency, CancellationToken cancellationToken)
    {
        var request = new Rpc.SetMembersRequest { Key = key, Consistency = Wire(consistency) };
        var response = await InvokeAsync(request, static (c, r, o) => c.SetMembersAsync(r, o), cancellationToken).ConfigureAwait(false);
        return ToSet(response);
    }

    /// <summary>A read set as the SDK shows it, alone or in a batch.</summary>
    private static KvSet? ToSet(Rpc.SetMembersResponse response)
    {
        if (!response.Found)
        {
            return null;
        }

        var members = response.Members.Select(m => m.Memory).ToArray();
        return new KvSet(members, KvContext.FromWire(response.Context));
    }
}
