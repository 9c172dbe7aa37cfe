using Google.Protobuf;
using Google.Protobuf.Collections;
using Grpc.Core;
using KvStore.Cluster;
using KvStore.Core.Crdt;
using KvStore.Core.Serialization;
using KvStore.Server.Configuration;
using KvStore.Protocol.V1;
using Microsoft.Extensions.Options;

namespace KvStore.Server.Grpc;

/// <summary>
/// Checks a request against the configured limits before anything is stored, and turns its fields
/// into core types. Every refusal is an <see cref="RpcException"/> with a precise status and a
/// message that names the limit.
/// </summary>
internal sealed class RequestValidator(IOptions<LimitsOptions> options, IOptions<ReplicaOptions> replica)
{
    private readonly LimitsOptions _limits = options.Value;
    private readonly int _maxContextWidth = replica.Value.MaxVersionVectorWidth;

    public byte[] Key(ByteString key)
    {
        if (key.IsEmpty)
        {
            throw Invalid("key is empty");
        }

        if (key.Length > _limits.MaxKeyBytes)
        {
            throw Invalid($"key is {key.Length} bytes; the limit is {_limits.MaxKeyBytes} (Limits:MaxKeyBytes)");
        }

        return key.ToByteArray();
    }

    public byte[] Value(ByteString value)
    {
        if (value.Length > _limits.MaxValueBytes)
        {
            throw Invalid($"value is {value.Length} bytes; the limit is {_limits.MaxValueBytes} (Limits:MaxValueBytes)");
        }

        return value.ToByteArray();
    }

    public IReadOnlyList<byte[]> Elements(RepeatedField<ByteString> elements)
    {
        if (elements.Count == 0)
        {
            throw Invalid("no elements given; a set operation needs at least one");
        }

        if (elements.Count > _limits.MaxElementsPerRequest)
        {
            throw Invalid($"{elements.Count} elements in one request; the limit is {_limits.MaxElementsPerRequest} (Limits:MaxElementsPerRequest)");
        }

        var result = new byte[elements.Count][];
        for (var i = 0; i < elements.Count; i++)
        {
            if (elements[i].Length > _limits.MaxElementBytes)
            {
                throw Invalid($"element {i} is {elements[i].Length} bytes; the limit is {_limits.MaxElementBytes} (Limits:MaxElementBytes)");
            }

            result[i] = elements[i].ToByteArray();
        }

        return result;
    }

    /// <summary>The client's context, or null when it sent none.</summary>
    public CausalContext? Context(ByteString context)
    {
        if (context.IsEmpty)
        {
            return null;
        }

        if (context.Length > _limits.MaxContextBytes)
        {
            throw Invalid($"context is {context.Length} bytes; the limit is {_limits.MaxContextBytes} (Limits:MaxContextBytes)");
        }

        try
        {
            return ObjectCodec.DecodeContext(context.Span, _maxContextWidth);
        }
        catch (MalformedDataException e)
        {
            throw Invalid($"context is malformed: {e.Message}; send back the context bytes exactly as a read returned them");
        }
    }

    /// <summary>Checks the number of operations in a batch; a refusal fails the whole batch.</summary>
    public void BatchSize(int operations)
    {
        if (operations == 0)
        {
            throw Invalid("the batch has no operations");
        }

        if (operations > _limits.MaxBatchOperations)
        {
            throw Invalid($"{operations} operations in one batch; the limit is {_limits.MaxBatchOperations} (Limits:MaxBatchOperations)");
        }
    }

    /// <summary>The largest message the node takes, which also bounds what one batch answers.</summary>
    public int MaxMessageBytes => _limits.MaxMessageBytes;

    public static ConsistencyLevel Level(Consistency consistency) => consistency switch
    {
        Consistency.Default => ConsistencyLevel.Default,
        Consistency.One => ConsistencyLevel.One,
        Consistency.Quorum => ConsistencyLevel.Quorum,
        Consistency.All => ConsistencyLevel.All,
        _ => throw Invalid($"unknown consistency level {(int)consistency}"),
    };

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
