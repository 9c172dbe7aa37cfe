using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using KvStore.Protocol.V1;

namespace KvStore.Kvbench.Targets;

/// <summary>KvStore over its public gRPC API, requests round-robin over the endpoints.</summary>
internal sealed class KvStoreTarget : ITarget
{
    private static readonly TimeSpan ProbeDeadline = TimeSpan.FromSeconds(5);
    private readonly IReadOnlyList<Endpoint> _endpoints;
    private readonly GrpcChannel[] _channels;
    private readonly KvStore.Protocol.V1.KvStore.KvStoreClient[] _clients;
    private readonly Health.HealthClient[] _health;
    private readonly Consistency _consistency;
    private readonly ValuePool _values;

    public KvStoreTarget(IReadOnlyList<Endpoint> endpoints, string consistency, ValuePool values)
    {
        _endpoints = endpoints;
        _channels = GrpcChannels.Create(endpoints);
        _clients = Array.ConvertAll(_channels, c => new KvStore.Protocol.V1.KvStore.KvStoreClient(c));
        _health = Array.ConvertAll(_channels, c => new Health.HealthClient(c));
        _consistency = consistency switch
        {
            "one" => Consistency.One,
            "all" => Consistency.All,
            _ => Consistency.Quorum,
        };
        _values = values;
    }

    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < _health.Length; i++)
        {
            HealthCheckResponse response;
            try
            {
                response = await _health[i].CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow + ProbeDeadline, cancellationToken: cancellationToken);
            }
            catch (RpcException e) when (GrpcChannels.IsUnreachable(e.StatusCode))
            {
                throw new UnreachableException($"cannot reach {_endpoints[i]}: {GrpcChannels.Reason(e)}", e);
            }

            if (response.Status != HealthCheckResponse.Types.ServingStatus.Serving)
            {
                throw new UnreachableException($"{_endpoints[i]} is {response.Status}");
            }
        }
    }

    public ITargetSession CreateSession(int caller) => new Session(this, caller);

    public ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private sealed class Session : ITargetSession
    {
        private readonly KvStoreTarget _target;
        private readonly byte[] _key = new byte[KeyFormat.Length];
        private readonly GetRequest _get;
        private readonly PutRequest _put;
        private readonly HealthCheckRequest _check = new();
        private BatchRequest? _batch;
        private byte[][] _batchKeys = [];
        private int _next;

        public Session(KvStoreTarget target, int caller)
        {
            _target = target;
            _next = caller % target._clients.Length;
            var key = UnsafeByteOperations.UnsafeWrap(_key);
            _get = new GetRequest { Key = key, Consistency = target._consistency };
            _put = new PutRequest { Key = key, Consistency = target._consistency };
        }

        public async Task ReadAsync(long record, CancellationToken cancellationToken)
        {
            KeyFormat.Write(record, _key);
            await Client().GetAsync(_get, cancellationToken: cancellationToken);
        }

        public async Task WriteAsync(long record, int value, CancellationToken cancellationToken)
        {
            KeyFormat.Write(record, _key);
            _put.Value = _target._values.Wrapped[value];
            _put.Context = ByteString.Empty;
            await Client().PutAsync(_put, cancellationToken: cancellationToken);
        }

        public async Task ReadModifyWriteAsync(long record, int value, CancellationToken cancellationToken)
        {
            KeyFormat.Write(record, _key);
            var read = await Client().GetAsync(_get, cancellationToken: cancellationToken);
            _put.Value = _target._values.Wrapped[value];
            _put.Context = read.Context;
            await Client().PutAsync(_put, cancellationToken: cancellationToken);
        }

        public async Task EmptyAsync(CancellationToken cancellationToken) =>
            await _target._health[NextIndex()].CheckAsync(_check, cancellationToken: cancellationToken);

        public async Task WriteBatchAsync(long[] records, int[] values, int[] codes, CancellationToken cancellationToken)
        {
            var batch = BatchOf(records.Length);
            for (var i = 0; i < records.Length; i++)
            {
                KeyFormat.Write(records[i], _batchKeys[i]);
                batch.Operations[i].Put.Value = _target._values.Wrapped[values[i]];
            }

            var response = await Client().BatchAsync(batch, cancellationToken: cancellationToken);
            for (var i = 0; i < codes.Length; i++)
            {
                codes[i] = response.Results[i].Code;
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        /// <summary>The session's one batch request of <paramref name="size"/> puts, made on first use; each put's key wraps a buffer rewritten in place.</summary>
        private BatchRequest BatchOf(int size)
        {
            if (_batch?.Operations.Count == size)
            {
                return _batch;
            }

            _batch = new BatchRequest { Consistency = _target._consistency };
            _batchKeys = new byte[size][];
            for (var i = 0; i < size; i++)
            {
                _batchKeys[i] = new byte[KeyFormat.Length];
                _batch.Operations.Add(new BatchOperation { Put = new PutRequest { Key = UnsafeByteOperations.UnsafeWrap(_batchKeys[i]) } });
            }

            return _batch;
        }

        private KvStore.Protocol.V1.KvStore.KvStoreClient Client() => _target._clients[NextIndex()];

        private int NextIndex()
        {
            var i = _next;
            _next = i + 1 == _target._clients.Length ? 0 : i + 1;
            return i;
        }
    }
}
