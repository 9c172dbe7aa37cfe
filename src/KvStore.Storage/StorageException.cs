namespace KvStore.Storage;

/// <summary>The data directory cannot be used: wrong format, another node's data, in use, or an I/O failure.</summary>
public sealed class StorageException : Exception
{
    public StorageException(string message)
        : base(message)
    {
    }

    public StorageException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
