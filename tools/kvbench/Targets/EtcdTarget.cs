using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using KvStore.Kvbench.Etcd;

namespace KvStore.Kvbench.Targets;

/// <summary>
/// etcd through its v3 gRPC KV service, as a reference: a Raft-replicated store whose every write
/// goes through the leader. Range is etcd's default linearizable read. Read-modify-write is Range
/// then Put (etcd has no causal context; a compare-and-swap Txn would measure something else).
/// </summary>
internal sealed class EtcdTarget : ITarget
{
    private static readonly TimeSpan ProbeDeadline = TimeSpan.FromSeconds(5);
    private readonly IReadOnlyList<Endpoint> _endpoints;
    private readonly GrpcChannel[] _channels;
    private readonly KV.KVClient[] _clients;
    private readonly ValuePool _values;

    public EtcdTarget(IReadOnlyList<Endpoint> endpoints, ValuePool values)
    {
        _endpoints = endpoints;
        _channels = GrpcChannels.Create(endpoints);
        _clients = Array.ConvertAll(_channels, c => new KV.KVClient(c));
        _values = values;
    }

    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var probe = new RangeRequest { Key = ByteString.CopyFromUtf8("kvbench-probe") };
        for (var i = 0; i < _clients.Length; i++)
        {
            try
            {
                await _clients[i].RangeAsync(probe, deadline: DateTime.UtcNow + ProbeDeadline, cancellationToken: cancellationToken);
            }
            catch (RpcException e) when (GrpcChannels.IsUnreachable(e.StatusCode))
            {
                throw new UnreachableException($"cannot reach etcd at {_endpoints[i]}: {GrpcChannels.Reason(e)}", e);
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
        private readonly EtcdTarget _target;
        private readonly byte[] _key = new byte[KeyFormat.Length];
        private readonly RangeRequest _range;
        private readonly PutRequest _put;
        private int _next;

        public Session(EtcdTarget target, int caller)
        {
            _target = target;
            _next = caller % target._clients.Length;
            var key = UnsafeByteOperations.UnsafeWrap(_key);
            _range = new RangeRequest { Key = key };
            _put = new PutRequest { Key = key };
        }

        public async Task ReadAsync(long record, CancellationToken cancellationToken)
        {
            KeyFormat.Write(record, _key);
            await Client().RangeAsync(_range, cancellationToken: cancellationToken);
        }

        public async Task WriteAsync(long record, int value, CancellationToken cancellationToken)
        {
            KeyFormat.Write(record, _key);
            _put.Value = _target._values.Wrapped[value];
            await Client().PutAsync(_put, cancellationToken: cancellationToken);
        }

        public async Task ReadModifyWriteAsync(long record, int value, CancellationToken cancellationToken)
        {
            await ReadAsync(record, cancellationToken);
            _put.Value = _target._values.Wrapped[value];
            await Client().PutAsync(_put, cancellationToken: cancellationToken);
        }

        public Task EmptyAsync(CancellationToken cancellationToken) =>
            throw new NotSupportedException("etcd has no empty-call baseline here");

        public Task WriteBatchAsync(long[] records, int[] values, int[] codes, CancellationToken cancellationToken) =>
            throw new NotSupportedException("etcd is not driven with KvStore's Batch call here");

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private KV.KVClient Client()
        {
            var client = _target._clients[_next];
            _next = _next + 1 == _target._clients.Length ? 0 : _next + 1;
            return client;
        }
    }
}
