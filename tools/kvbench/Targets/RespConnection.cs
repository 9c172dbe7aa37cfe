using System.Buffers.Text;
using System.Net.Sockets;

namespace KvStore.Kvbench.Targets;

/// <summary>The store answered a command with a RESP error ("-ERR ...").</summary>
internal sealed class RedisErrorException(string message) : Exception(message);

/// <summary>
/// A minimal RESP2 client on one TCP connection, enough for GET, SET and PING: one command in
/// flight at a time (the caller's loop is closed), request and reply buffers reused, values read
/// and dropped without allocating. Speaking the protocol directly keeps a client library's own
/// batching and threading out of the comparison.
/// </summary>
internal sealed class RespConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _out;
    private readonly byte[] _in = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RespConnection(Socket socket, int maxValueSize)
    {
        _socket = socket;
        _out = new byte[128 + KeyFormat.Length + maxValueSize];
    }

    public static async Task<RespConnection> ConnectAsync(Endpoint endpoint, int maxValueSize, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.Port, cancellationToken);
            return new RespConnection(socket, maxValueSize);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends a command of the given arguments and reads its reply; returns the reply's bulk length (-1 for nil, 0 otherwise).</summary>
    public async Task<int> CommandAsync(ReadOnlyMemory<byte> arg0, ReadOnlyMemory<byte> arg1, ReadOnlyMemory<byte> arg2, int count, CancellationToken cancellationToken)
    {
        var n = 0;
        _out[n++] = (byte)'*';
        n += WriteNumber(count, n);
        n += WriteBulk(arg0.Span, n);
        if (count > 1)
        {
            n += WriteBulk(arg1.Span, n);
        }

        if (count > 2)
        {
            n += WriteBulk(arg2.Span, n);
        }

        var sent = 0;
        while (sent < n)
        {
            sent += await _socket.SendAsync(_out.AsMemory(sent, n - sent), SocketFlags.None, cancellationToken);
        }

        return await ReadReplyAsync(cancellationToken);
    }

    private int WriteBulk(ReadOnlySpan<byte> arg, int at)
    {
        var n = at;
        _out[n++] = (byte)'$';
        n += WriteNumber(arg.Length, n);
        arg.CopyTo(_out.AsSpan(n));
        n += arg.Length;
        _out[n++] = (byte)'\r';
        _out[n++] = (byte)'\n';
        return n - at;
    }

    /// <summary>Writes a decimal number and CRLF at <paramref name="at"/>; returns the bytes written.</summary>
    private int WriteNumber(int value, int at)
    {
        Utf8Formatter.TryFormat(value, _out.AsSpan(at), out var written);
        _out[at + written] = (byte)'\r';
        _out[at + written + 1] = (byte)'\n';
        return written + 2;
    }

    private async Task<int> ReadReplyAsync(CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(cancellationToken);
        var type = _in[line.Start];
        switch (type)
        {
            case (byte)'+':
            case (byte)':':
                return 0;
            case (byte)'-':
                throw new RedisErrorException(System.Text.Encoding.UTF8.GetString(_in, line.Start + 1, line.Length - 1));
            case (byte)'$':
                if (!Utf8Parser.TryParse(_in.AsSpan(line.Start + 1, line.Length - 1), out int length, out _))
                {
                    throw new IOException("malformed RESP bulk length");
                }

                if (length >= 0)
                {
                    await SkipAsync(length + 2, cancellationToken);
                }

                return length;
            default:
                throw new IOException($"unexpected RESP reply type '{(char)type}'");
        }
    }

    /// <summary>The next line without its CRLF, as a range of the input buffer valid until the next read.</summary>
    private async Task<(int Start, int Length)> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var crlf = _in.AsSpan(_start, _end - _start).IndexOf("\r\n"u8);
            if (crlf >= 0)
            {
                var start = _start;
                _start += crlf + 2;
                return (start, crlf);
            }

            await FillAsync(cancellationToken);
        }
    }

    private async Task SkipAsync(int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            var take = Math.Min(count, _end - _start);
            _start += take;
            count -= take;
            if (count == 0)
            {
                return;
            }

            await FillAsync(cancellationToken);
        }
    }

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _in.Length)
        {
            if (_start == 0)
            {
                throw new IOException("RESP line longer than the read buffer");
            }

            Array.Copy(_in, _start, _in, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        var read = await _socket.ReceiveAsync(_in.AsMemory(_end), SocketFlags.None, cancellationToken);
        if (read == 0)
        {
            throw new IOException("the server closed the connection");
        }

        _end += read;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
