using Google.Protobuf;
using Rpc = KvStore.Protocol.V1;

namespace KvStore.Client;

/// <summary>Register operations: a key holding one value, last writer wins among concurrent writes.</summary>
public sealed partial class KvClient
{
    /// <summary>Reads a register key.</summary>
    /// <param name="key">The key: 1 to 1024 bytes unless the server is configured otherwise; the string overload encodes it as UTF-8.</param>
    /// <param name="consistency">How many replicas must answer; Default uses the client's, then the server's, level.</param>
    /// <param name="cancellationToken">Abandons the call; it then throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The value and its context, or null when the key is missing or deleted.</returns>
    /// <exception cref="KvException">FAILED_PRECONDITION if the key holds a set; see the proto for the rest.</exception>
    public Task<KvValue?> GetAsync(ReadOnlyMemory<byte> key, KvConsistency consistency = KvConsistency.Default, CancellationToken cancellationToken = default) =>
        GetCoreAsync(Bytes(key), consistency, cancellationToken);

    /// <inheritdoc cref="GetAsync(ReadOnlyMemory{byte}, KvConsistency, CancellationToken)"/>
    public Task<KvValue?> GetAsync(string key, KvConsistency consistency = KvConsistency.Default, CancellationToken cancellationToken = default) =>
        GetCoreAsync(Utf8(key, nameof(key)), consistency, cancellationToken);

    /// <summary>
    /// Writes a register key. A write carrying the context of a read supersedes exactly what was
    /// read, so a concurrent write the read did not see is kept rather than lost; without a
    /// context the write supersedes whatever the coordinating replica holds.
    /// </summary>
    /// <param name="key">The key: 1 to 1024 bytes unless the server is configured otherwise; the string overload encodes it as UTF-8.</param>
    /// <param name="value">The value; the string overload encodes it as UTF-8.</param>
    /// <param name="context">The context of an earlier read of this key, or null.</param>
    /// <param name="consistency">How many replicas must answer; Default uses the client's, then the server's, level.</param>
    /// <param name="cancellationToken">Abandons the call; it then throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The context of the written value, to pass to a later write of the same key.</returns>
    public Task<KvContext> PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, KvContext? context = null, KvConsistency consistency = KvConsistency.Default, CancellationToken cancellationToken = default) =>
        PutCoreAsync(Bytes(key), Bytes(value), context, consistency, cancellationToken);

    /// <inheritdoc cref="PutAsync(ReadOnlyMemory{byte}, ReadOnlyMemory{byte}, KvContext?, KvConsistency, CancellationToken)"/>
    public Task<KvContext> PutAsync(string key, string value, KvContext? context = null, KvConsistency consistency = KvConsistency.Default, CancellationToken cancellationToken = default) =>
        PutCoreAsync(Utf8(key, nameof(key)), Utf8(value, nameof(value)), context, consistency, cancellationToken);

    /// <summary>
    /// Deletes a key of either type. With a context it removes exactly what that read saw, so a
    /// write concurrent with the delete survives it. Deleting a missing key succeeds.
    /// </summary>
    /// <param name="key">The key: 1 to 1024 bytes unless the server is configured otherwise; the string overload encodes it as UTF-8.</param>
    /// <param name="context">The context of an earlier read of this key, or null.</param>
    /// <param name="consistency">How many replicas must answer; Default uses the client's, then the server's, level.</param>
    /// <param name="cancellationToken">Abandons the call; it then throws <see cref="OperationCanceledException"/>.</param>
    public Task DeleteAsync(ReadOnlyMemory<byte> key, KvContext? context = null, KvConsistency consistency = KvConsistency.Default, CancellationToken cancellationToken = default) =>
        DeleteCoreAsync(Bytes(key), context, consistency, cancellationToken);

    /// <inheritdoc cref="DeleteAsync(ReadOnlyMemory{byte}, KvContext?, KvConsistency, CancellationToken)"/>
    public Task DeleteAsync(string key, KvContext? context = null, KvConsistency consistency = KvConsistency.Default, CancellationToken cancellationToken = default) =>
        DeleteCoreAsync(Utf8(key, nameof(key)), context, consistency, cancellationToken);

    private async Task<KvValue?> GetCoreAsync(ByteString key, KvConsistency consistency, CancellationToken cancellationToken)
    {
        var request = new Rpc.GetRequest { Key = key, Consistency = Wire(consistency) };
        var response = await InvokeAsync(request, static (c, r, o) => c.GetAsync(r, o), cancellationToken).ConfigureAwait(false);
        return ToValue(response);
    }

    /// <summary>A read register as the SDK shows it, alone or in a batch.</summary>
    private static KvValue? ToValue(Rpc.GetResponse response) =>
        response.Found ? new KvValue(response.Value.Memory, KvContext.FromWire(response.Context)) : null;

    private async Task<KvContext> PutCoreAsync(ByteString key, ByteString value, KvContext? context, KvConsistency consistency, CancellationToken cancellationToken)
    {
        var request = new Rpc.PutRequest { Key = key, Value = value, Context = KvContext.ToWire(context), Consistency = Wire(consistency) };
        var response = await InvokeAsync(request, static (c, r, o) => c.PutAsync(r, o), cancellationToken).ConfigureAwait(false);
        return KvContext.FromWire(response.Context);
    }

    private async Task DeleteCoreAsync(ByteString key, KvContext? context, KvConsistency consistency, CancellationToken cancellationToken)
    {
        var request = new Rpc.DeleteRequest { Key = key, Context = KvContext.ToWire(context), Consistency = Wire(consistency) };
        await InvokeAsync(request, static (c, r, o) => c.DeleteAsync(r, o), cancellationToken).ConfigureAwait(false);
    }
}
