using System.Net.Sockets;

namespace KvStore.Kvbench.Targets;

/// <summary>
/// Redis (or any RESP2 server) as a reference: a single-node in-memory store, so a lower bound for
/// what a network round trip plus a hash-table lookup costs. Each caller has its own connection to
/// one endpoint (callers spread round-robin over them); read-modify-write is GET then SET.
/// </summary>
internal sealed class RedisTarget(IReadOnlyList<Endpoint> endpoints, ValuePool values, int valueSize) : ITarget
{
    private static readonly ReadOnlyMemory<byte> Get = "GET"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> Set = "SET"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> Ping = "PING"u8.ToArray();

    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        foreach (var endpoint in endpoints)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                await using var connection = await RespConnection.ConnectAsync(endpoint, valueSize, timeout.Token);
                await connection.CommandAsync(Ping, default, default, 1, timeout.Token);
            }
            catch (Exception e) when (e is SocketException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                throw new UnreachableException($"cannot reach redis at {endpoint}: {e.Message}", e);
            }
        }
    }

    public ITargetSession CreateSession(int caller) => new Session(endpoints[caller % endpoints.Count], values, valueSize);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private sealed class Session(Endpoint endpoint, ValuePool values, int valueSize) : ITargetSession
    {
        private readonly byte[] _key = new byte[KeyFormat.Length];
        private RespConnection? _connection;

        public async Task ReadAsync(long record, CancellationToken cancellationToken)
        {
            KeyFormat.Write(record, _key);
            await RunAsync(Get, _key, default, 2, cancellationToken);
        }

        public async Task WriteAsync(long record, int value, CancellationToken cancellationToken)
        {
            KeyFormat.Write(record, _key);
            await RunAsync(Set, _key, values.Bytes[value], 3, cancellationToken);
        }

        public async Task ReadModifyWriteAsync(long record, int value, CancellationToken cancellationToken)
        {
            KeyFormat.Write(record, _key);
            await RunAsync(Get, _key, default, 2, cancellationToken);
            await RunAsync(Set, _key, values.Bytes[value], 3, cancellationToken);
        }

        public Task EmptyAsync(CancellationToken cancellationToken) =>
            throw new NotSupportedException("redis has no empty-call baseline here");

        public Task WriteBatchAsync(long[] records, int[] values, int[] codes, CancellationToken cancellationToken) =>
            throw new NotSupportedException("redis is not driven with KvStore's Batch call here");

        /// <summary>Runs one command, connecting first if needed; a connection that failed is dropped and redialled next time.</summary>
        private async Task RunAsync(ReadOnlyMemory<byte> command, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, int count, CancellationToken cancellationToken)
        {
            _connection ??= await RespConnection.ConnectAsync(endpoint, valueSize, cancellationToken);
            try
            {
                await _connection.CommandAsync(command, key, value, count, cancellationToken);
            }
            catch (Exception e) when (e is not RedisErrorException)
            {
                await _connection.DisposeAsync();
                _connection = null;
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }
        }
    }
}
