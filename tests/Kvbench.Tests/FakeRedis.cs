using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace KvStore.Kvbench.Tests;

/// <summary>
/// A RESP2 server on loopback that understands PING, GET and SET, so the redis target's protocol
/// code is tested without a redis installation.
/// </summary>
internal sealed class FakeRedis : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public FakeRedis()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Endpoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public ConcurrentDictionary<string, byte[]> Data { get; } = new();

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                connections.Add(ServeAsync(client));
            }
        }
        catch (OperationCanceledException)
        {
        }

        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = new BufferedStream(client.GetStream());
        try
        {
            while (await ReadCommandAsync(stream) is { } args)
            {
                var command = Encoding.ASCII.GetString(args[0]).ToUpperInvariant();
                byte[] reply = command switch
                {
                    "PING" => "+PONG\r\n"u8.ToArray(),
                    "SET" => Set(args),
                    "GET" => Data.TryGetValue(Encoding.ASCII.GetString(args[1]), out var v)
                        ? [.. Encoding.ASCII.GetBytes($"${v.Length}\r\n"), .. v, .. "\r\n"u8]
                        : "$-1\r\n"u8.ToArray(),
                    _ => "-ERR unknown command\r\n"u8.ToArray(),
                };
                await stream.WriteAsync(reply, _stop.Token);
                await stream.FlushAsync(_stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
        }
    }

    private byte[] Set(byte[][] args)
    {
        Data[Encoding.ASCII.GetString(args[1])] = args[2];
        return "+OK\r\n"u8.ToArray();
    }

    private async Task<byte[][]?> ReadCommandAsync(Stream stream)
    {
        if (await ReadLineAsync(stream) is not { } header)
        {
            return null;
        }

        var args = new byte[int.Parse(header[1..], System.Globalization.CultureInfo.InvariantCulture)][];
        for (var i = 0; i < args.Length; i++)
        {
            var length = int.Parse((await ReadLineAsync(stream))![1..], System.Globalization.CultureInfo.InvariantCulture);
            args[i] = new byte[length + 2];
            await stream.ReadExactlyAsync(args[i], _stop.Token);
            args[i] = args[i][..length];
        }

        return args;
    }

    private async Task<string?> ReadLineAsync(Stream stream)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0)
            {
                return null;
            }

            if (one[0] == '\n')
            {
                return line.ToString().TrimEnd('\r');
            }

            line.Append((char)one[0]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
