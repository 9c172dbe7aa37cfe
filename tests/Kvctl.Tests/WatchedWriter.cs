using System.Text;

namespace KvStore.Kvctl.Tests;

/// <summary>
/// A thread-safe writer for a kvctl run that is still going: lines arrive from several threads,
/// and a test waits for the first one containing a marker instead of polling the text.
/// </summary>
internal sealed class WatchedWriter : TextWriter
{
    private readonly string _marker;
    private readonly StringBuilder _text = new();
    private readonly TaskCompletionSource<string> _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private int _scanned;

    public WatchedWriter(string marker)
    {
        _marker = marker;
        NewLine = "\n";
    }

    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>Completes with the first whole line that contains the marker.</summary>
    public Task<string> Seen => _seen.Task;

    public override void Write(char value)
    {
        lock (_lock)
        {
            Append(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_lock)
        {
            foreach (var c in value ?? "")
            {
                Append(c);
            }
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_lock)
        {
            foreach (var c in (value ?? "") + "\n")
            {
                Append(c);
            }
        }
    }

    private void Append(char value)
    {
        _text.Append(value);
        if (value != '\n')
        {
            return;
        }

        var line = _text.ToString(_scanned, _text.Length - _scanned);
        _scanned = _text.Length;
        if (line.Contains(_marker, StringComparison.Ordinal))
        {
            _seen.TrySetResult(line.TrimEnd('\n'));
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            return _text.ToString();
        }
    }
}
