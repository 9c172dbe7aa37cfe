namespace KvStore.Kvctl;

/// <summary>A mistake in what the user typed that the parser cannot see (a bad endpoint or context).</summary>
internal sealed class UsageException(string message, Exception? innerException = null) : Exception(message, innerException);
